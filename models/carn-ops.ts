// The building blocks of CARN as nmhkahn/CARN-pytorch's carn/model/ops.py declares them, with its child names
// (`body.N`, `shifter`, `up`), so that the parameter names of carn.ts match the reference state dict.
// Only what the single-scale, ungrouped CARN uses: EResidualBlock and grouped convolutions (CARN-M) are left out.

import type { Backend } from "../engine/backend.ts";
import { add, nn, type Rng, relu, type Tensor, tensor } from "../engine/index.ts";

/** The RGB mean of DIV2K, which ops.MeanShift subtracts before the network and adds back after it. */
export const DIV2K_MEAN_RGB = [0.4488, 0.4371, 0.404] as const;

const conv = (cin: number, cout: number, k: number, rng: Rng, backend?: Backend) =>
  new nn.Conv2d(cin, cout, k, { padding: Math.floor(k / 2), rng, backend }); // PyTorch's default init: ops.init_weights is a no-op

/**
 * ops.MeanShift: a frozen 1×1 conv `shifter` with the identity as weight and ±mean as bias, i.e. x ± mean per
 * channel. Frozen, it is no trainable parameter here (the engine's optimizers take only those); `stateEntries`
 * gives the two tensors it holds in the reference state dict.
 */
export class MeanShift extends nn.Module {
  private readonly shift: number[];
  constructor(readonly sign: -1 | 1, readonly meanRgb: readonly number[] = DIV2K_MEAN_RGB) {
    super();
    this.shift = meanRgb.map((m) => sign * m);
  }
  forward(x: Tensor): Tensor {
    return add(x, tensor(this.shift, [1, 3, 1, 1], { backend: x.backend }));
  }
  /** `shifter.weight` (identity [3, 3, 1, 1]) and `shifter.bias` (±mean), as the reference stores them */
  stateEntries(): [string, { shape: number[]; data: Float32Array }][] {
    const eye = new Float32Array(9);
    for (let c = 0; c < 3; c++) eye[4 * c] = 1;
    return [
      ["shifter.weight", { shape: [3, 3, 1, 1], data: eye }],
      ["shifter.bias", { shape: [3], data: Float32Array.from(this.shift) }],
    ];
  }
}

/** ops.BasicBlock: conv + ReLU in `body` (CARN's 1×1 fusion convs c1..c3). */
export class BasicBlock extends nn.Module {
  readonly body: nn.Sequential;
  constructor(cin: number, cout: number, k: number, rng: Rng, backend?: Backend) {
    super();
    this.body = this.addModule("body", new nn.Sequential(conv(cin, cout, k, rng, backend), new nn.ReLU()));
  }
  forward(x: Tensor): Tensor {
    return this.body.forward(x);
  }
}

/** ops.ResidualBlock: relu(conv(relu(conv(x))) + x), the convs in `body.0` and `body.2`. */
export class ResidualBlock extends nn.Module {
  readonly body: nn.Sequential;
  constructor(channels: number, rng: Rng, backend?: Backend) {
    super();
    this.body = this.addModule("body", new nn.Sequential(conv(channels, channels, 3, rng, backend), new nn.ReLU(), conv(channels, channels, 3, rng, backend)));
  }
  forward(x: Tensor): Tensor {
    return relu(add(this.body.forward(x), x));
  }
}

/**
 * ops.UpsampleBlock built with multi_scale off: one branch `up` (ops._UpsampleBlock) whose `body` is, per ×2
 * stage (×4 has two), conv to 4·C channels + ReLU + PixelShuffle(2); for ×3 one conv to 9·C + ReLU +
 * PixelShuffle(3). The convs are therefore `up.body.0` and (×4) `up.body.3`.
 */
export class UpsampleBlock extends nn.Module {
  readonly body: nn.Sequential;
  constructor(channels: number, scale: number, rng: Rng, backend?: Backend) {
    super();
    if (![2, 3, 4].includes(scale)) throw new Error(`CARN upsamples by 2, 3 or 4, got ${scale}`);
    const stage = (r: number) => [conv(channels, r * r * channels, 3, rng, backend), new nn.ReLU(), new nn.PixelShuffle(r)];
    const stages = scale === 3 ? [stage(3)] : Array.from({ length: Math.log2(scale) }, () => stage(2));
    this.body = new nn.Sequential(...stages.flat());
    this.addModule("up", new nn.ModuleDict({ body: this.body }));
  }
  forward(x: Tensor): Tensor {
    return this.body.forward(x);
  }
}
