// CARN (Ahn et al., 2018) as nmhkahn/CARN-pytorch's carn/model/carn.py, single-scale, so that parameter names
// match its state dict: entry, b1..b3 (cascading blocks: b1..b3 residual blocks, c1..c3 1×1 fusions),
// c1..c3 (global 1×1 fusions), upsample.up.body.N, exit. RGB in [0, 1], DIV2K mean subtracted before and added
// after, as the reference's frozen sub_mean / add_mean.
//
// The single-scale variant is what the reference trains with `--scale 2|3|4` (Solver builds
// Net(scale=…, group=1) and multi_scale stays unset): 1,111,875 trainable parameters at ×4, the paper's count.
// `--scale 0` builds the multi-scale net instead (up2, up3, up4: 1,591,939). The frozen mean shifts are no
// parameters here; stateDict() and loadStateDict() still carry their 4 reference entries (24 values), so
// weights move to and from PyTorch unchanged. Nested inside another module they are not seen: save and load the
// Carn itself.

import type { Backend } from "../engine/backend.ts";
import { nn, type Rng, type Tensor } from "../engine/index.ts";
import { BasicBlock, MeanShift, ResidualBlock, UpsampleBlock } from "./carn-ops.ts";
import { type BuildOptions, rngOf } from "./fsrcnn.ts";
import { CarnNet, cascade } from "./carn-net.ts";

export interface CarnConfig {
  scale: number;
  /** feature channels throughout (the reference hard-codes 64) */
  width?: number;
}

export function resolveCarnConfig(c: CarnConfig): Required<CarnConfig> {
  if (![2, 3, 4].includes(c.scale)) throw new Error(`scale must be 2, 3 or 4, got ${c.scale}`);
  return { scale: c.scale, width: c.width ?? 64 };
}


/** carn.py's Block: three residual blocks b1..b3, fused by c1..c3 over 2, 3 and 4 times the width. */
class CascadingBlock extends nn.Module {
  readonly blocks: ResidualBlock[];
  readonly fusions: BasicBlock[];
  constructor(width: number, rng: Rng, backend?: Backend) {
    super();
    this.blocks = [1, 2, 3].map((i) => this.addModule(`b${i}`, new ResidualBlock(width, rng, backend)));
    this.fusions = [1, 2, 3].map((i) => this.addModule(`c${i}`, new BasicBlock((i + 1) * width, width, 1, rng, backend)));
  }
  forward(x: Tensor): Tensor {
    return cascade(x, this.blocks, this.fusions);
  }
}

export class Carn extends CarnNet {
  protected readonly label = "CARN";
  readonly config: Required<CarnConfig>;
  readonly subMean: MeanShift;
  readonly addMean: MeanShift;
  readonly entry: nn.Conv2d;
  readonly blocks: CascadingBlock[];
  readonly fusions: BasicBlock[];
  readonly upsample: UpsampleBlock;
  readonly exit: nn.Conv2d;

  constructor(config: CarnConfig, opts: BuildOptions = {}) {
    super();
    this.config = resolveCarnConfig(config);
    const { scale, width } = this.config;
    const rng = rngOf(opts), backend = opts.backend;
    // carn.py's declaration order, so namedParameters() lists as its state_dict() does
    this.subMean = this.addModule("sub_mean", new MeanShift(-1));
    this.addMean = this.addModule("add_mean", new MeanShift(1));
    this.entry = this.addModule("entry", new nn.Conv2d(3, width, 3, { padding: 1, rng, backend }));
    this.blocks = [1, 2, 3].map((i) => this.addModule(`b${i}`, new CascadingBlock(width, rng, backend)));
    this.fusions = [1, 2, 3].map((i) => this.addModule(`c${i}`, new BasicBlock((i + 1) * width, width, 1, rng, backend)));
    this.upsample = this.addModule("upsample", new UpsampleBlock(width, scale, rng, backend));
    this.exit = this.addModule("exit", new nn.Conv2d(width, 3, 3, { padding: 1, rng, backend }));
  }
}
