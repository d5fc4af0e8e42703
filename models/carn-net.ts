// What CARN and CARN-M share around their blocks (carn.py and carn_m.py's Net): the cascade that joins each
// block's output to a running concatenation, the forward pass from sub_mean to add_mean, and the reference state
// dict, whose frozen mean shifts are no parameters here but still travel to and from PyTorch.

import { concat, nn, type Tensor } from "../engine/index.ts";
import type { BasicBlock, MeanShift } from "./carn-ops.ts";
import type { StudentFeatures } from "./student-features.ts";

type StateDict = Map<string, { shape: number[]; data: ArrayLike<number> }>;

/** Each block's output joins the running concatenation, and a 1×1 conv fuses all of it into the next input. */
export function cascade(x: Tensor, blocks: readonly nn.Module[], fusions: readonly nn.Module[]): Tensor {
  let joined = x, out = x;
  blocks.forEach((block, i) => {
    joined = concat([joined, block.forward(out)]);
    out = fusions[i]!.forward(joined);
  });
  return out;
}

/** Net of carn.py / carn_m.py; subclasses create the layers in the reference's declaration order. */
export abstract class CarnNet extends nn.Module {
  abstract readonly subMean: MeanShift;
  abstract readonly addMean: MeanShift;
  abstract readonly entry: nn.Module;
  abstract readonly blocks: readonly nn.Module[];
  abstract readonly fusions: readonly BasicBlock[];
  abstract readonly upsample: nn.Module;
  abstract readonly exit: nn.Module;
  /** PISR would distil `c3`'s output, o3: the last LR-resolution features (width channels) before upsampling */
  readonly distilledLayer = "c3";

  /** the model's name in error messages */
  protected abstract readonly label: string;

  features(lr: Tensor): StudentFeatures {
    const distilled = this.distilled(lr);
    return { distilled, hr: this.addMean.forward(this.exit.forward(this.upsample.forward(distilled))) };
  }

  /** o3, `c3`'s output, alone. */
  distilled(lr: Tensor): Tensor {
    return cascade(this.entry.forward(this.subMean.forward(lr)), this.blocks, this.fusions);
  }

  forward(lr: Tensor): Tensor {
    return this.features(lr).hr;
  }

  /** The frozen mean shifts' reference entries, `sub_mean.shifter.*` then `add_mean.shifter.*`. */
  private meanShiftEntries(): [string, { shape: number[]; data: Float32Array }][] {
    return [
      ...this.subMean.stateEntries().map(([n, v]): [string, typeof v] => [`sub_mean.${n}`, v]),
      ...this.addMean.stateEntries().map(([n, v]): [string, typeof v] => [`add_mean.${n}`, v]),
    ];
  }

  /** The reference state dict: the mean shifts first, as the reference declares them, then every parameter. */
  override async stateDict(): Promise<Map<string, { shape: number[]; data: Float32Array }>> {
    return new Map([...this.meanShiftEntries(), ...(await super.stateDict())]);
  }

  /**
   * Accepts the reference's mean-shift entries (or their absence) as long as they hold the DIV2K shift this
   * model applies: the reference never trains them, so other values mean weights from another model.
   */
  override async loadStateDict(state: StateDict, opts: { strict?: boolean } = {}): Promise<void> {
    const rest = new Map(state);
    for (const [name, fixed] of this.meanShiftEntries()) {
      const given = rest.get(name);
      if (!given) continue;
      const same = given.shape.join() === fixed.shape.join() && fixed.data.every((v, i) => Math.fround(given.data[i]!) === v);
      if (!same) throw new Error(`"${name}" is not ${this.label}'s fixed DIV2K mean shift (the reference freezes it)`);
      rest.delete(name);
    }
    return super.loadStateDict(rest, opts);
  }
}
