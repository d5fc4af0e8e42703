// CARN-M (Ahn et al., 2018), the mobile CARN, as nmhkahn/CARN-pytorch's carn/model/carn_m.py with ops.py, single
// scale, so that parameter names match its state dict: entry, b1..b3 (cascading blocks: b1 one efficient
// residual block, c1..c3 1×1 fusions), c1..c3 (global 1×1 fusions), upsample.up.body.N, exit. RGB in [0, 1],
// DIV2K mean subtracted before and added after, as carn.ts.
//
// Two things make it mobile, both as the reference: each cascading block builds ONE EResidualBlock `b1` and
// applies it three times (so its weights are shared and their gradients accumulate over the three uses; the
// state dict has no b2/b3 inside a block), and the 3×3 convs of the residual blocks and of the upsampler are
// grouped (the reference trains CARN-M with `--group 4`). Single-scale ×4 with group 4: 294,147 trainable parameters
// (computed with torch from the reference code; ×2 257,027, ×3 303,427). The paper's ~412K is the multi-scale net
// (up2, up3 and up4: 414,787 by the same code), which is not built here. The frozen mean shifts add 24 values to
// the state dict, handled as carn.ts handles them.

import type { Backend } from "../engine/backend.ts";
import { add, nn, type Rng, relu, type Tensor } from "../engine/index.ts";
import { BasicBlock, MeanShift } from "./carn-ops.ts";
import { type BuildOptions, rngOf } from "./fsrcnn.ts";
import { CarnNet, cascade } from "./carn-net.ts";

export interface CarnMConfig {
  scale: number;
  /** groups of the grouped 3×3 convs (the reference's `--group`; CARN-M is trained with 4) */
  group?: number;
  /** feature channels throughout (the reference hard-codes 64) */
  width?: number;
}

export function resolveCarnMConfig(c: CarnMConfig): Required<CarnMConfig> {
  if (![2, 3, 4].includes(c.scale)) throw new Error(`scale must be 2, 3 or 4, got ${c.scale}`);
  return { scale: c.scale, group: c.group ?? 4, width: c.width ?? 64 };
}

const conv = (cin: number, cout: number, k: number, groups: number, rng: Rng, backend?: Backend) =>
  new nn.Conv2d(cin, cout, k, { padding: Math.floor(k / 2), groups, rng, backend }); // PyTorch's default init, as ops.py

/** ops.EResidualBlock: relu(x + conv1×1(relu(gconv(relu(gconv(x)))))), convs in body.0, body.2, body.4. */
export class EResidualBlock extends nn.Module {
  readonly body: nn.Sequential;
  constructor(channels: number, group: number, rng: Rng, backend?: Backend) {
    super();
    this.body = this.addModule("body", new nn.Sequential(
      conv(channels, channels, 3, group, rng, backend), new nn.ReLU(),
      conv(channels, channels, 3, group, rng, backend), new nn.ReLU(),
      conv(channels, channels, 1, 1, rng, backend),
    ));
  }
  forward(x: Tensor): Tensor {
    return relu(add(this.body.forward(x), x));
  }
}

/** ops.UpsampleBlock (single scale) with grouped convs: `up.body.{0,3}` at ×4, `up.body.0` at ×2 and ×3. */
class GroupedUpsampleBlock extends nn.Module {
  readonly body: nn.Sequential;
  constructor(channels: number, scale: number, group: number, rng: Rng, backend?: Backend) {
    super();
    const stage = (r: number) => [conv(channels, r * r * channels, 3, group, rng, backend), new nn.ReLU(), new nn.PixelShuffle(r)];
    const stages = scale === 3 ? [stage(3)] : Array.from({ length: Math.log2(scale) }, () => stage(2));
    this.body = new nn.Sequential(...stages.flat());
    this.addModule("up", new nn.ModuleDict({ body: this.body }));
  }
  forward(x: Tensor): Tensor {
    return this.body.forward(x);
  }
}


/** carn_m.py's Block: the one residual block `b1` applied three times (shared weights), fused by c1..c3. */
class CascadingBlock extends nn.Module {
  readonly b1: EResidualBlock;
  readonly fusions: BasicBlock[];
  constructor(width: number, group: number, rng: Rng, backend?: Backend) {
    super();
    this.b1 = this.addModule("b1", new EResidualBlock(width, group, rng, backend));
    this.fusions = [1, 2, 3].map((i) => this.addModule(`c${i}`, new BasicBlock((i + 1) * width, width, 1, rng, backend)));
  }
  forward(x: Tensor): Tensor {
    return cascade(x, [this.b1, this.b1, this.b1], this.fusions);
  }
}

export class CarnM extends CarnNet {
  protected readonly label = "CARN-M";
  readonly config: Required<CarnMConfig>;
  readonly subMean: MeanShift;
  readonly addMean: MeanShift;
  readonly entry: nn.Conv2d;
  readonly blocks: CascadingBlock[];
  readonly fusions: BasicBlock[];
  readonly upsample: GroupedUpsampleBlock;
  readonly exit: nn.Conv2d;

  constructor(config: CarnMConfig, opts: BuildOptions = {}) {
    super();
    this.config = resolveCarnMConfig(config);
    const { scale, group, width } = this.config;
    const rng = rngOf(opts), backend = opts.backend;
    // carn_m.py's declaration order, so namedParameters() lists as its state_dict() does
    this.subMean = this.addModule("sub_mean", new MeanShift(-1));
    this.addMean = this.addModule("add_mean", new MeanShift(1));
    this.entry = this.addModule("entry", conv(3, width, 3, 1, rng, backend));
    this.blocks = [1, 2, 3].map((i) => this.addModule(`b${i}`, new CascadingBlock(width, group, rng, backend)));
    this.fusions = [1, 2, 3].map((i) => this.addModule(`c${i}`, new BasicBlock((i + 1) * width, width, 1, rng, backend)));
    this.upsample = this.addModule("upsample", new GroupedUpsampleBlock(width, scale, group, rng, backend));
    this.exit = this.addModule("exit", conv(width, 3, 3, 1, rng, backend));
  }
}
