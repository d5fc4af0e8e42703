// The PISR teacher's encoder ("lcscc" in the official code): it sees the HR image, the privileged
// information, and squeezes it to an LR-sized map by one strided conv. Named `encoder.0.{0..6}`.

import type { Backend } from "../engine/backend.ts";
import { nn, type Rng } from "../engine/index.ts";

export function lcsccEncoder(scale: number, channels: number, d: number, s: number, rng: Rng, backend?: Backend): nn.Sequential {
  const conv = (cin: number, cout: number, k: number, stride = 1) =>
    new nn.Conv2d(cin, cout, k, { stride, padding: Math.floor(k / 2), rng, backend });
  const prelu = () => new nn.PReLU(1, 0.25, { backend });
  return new nn.Sequential(
    nn.Sequential.fusingConvPrelu(
      conv(channels, d, 5), prelu(),
      conv(d, d, 5, scale), prelu(), // the only downsampling: HR → LR grid
      conv(d, s, 3), prelu(),
      conv(s, channels, 3), // no activation: the output imitates the bicubic LR image
    ),
  );
}
