// Layers built without a generator draw from one process-wide seeded source (engine/random.ts), as PyTorch
// does: two alike layers start different, and manualSeed makes a sequence of layers reproducible.
import { expect, test } from "bun:test";
import { CpuBackend, manualSeed, nn, Rng } from "../../engine/index.ts";

const backend = new CpuBackend("float32");
const weights = async (m: nn.Module) => Array.from(await m.parameters()[0].toArray());

test("alike layers without an rng start different; manualSeed reproduces them; an explicit rng is unaffected", async () => {
  manualSeed(123);
  const a = new nn.Conv2d(4, 4, 3, { backend }), b = new nn.Conv2d(4, 4, 3, { backend });
  const t = new nn.ConvTranspose2d(4, 2, 3, { backend });
  expect(await weights(a)).not.toEqual(await weights(b));
  manualSeed(123);
  const a2 = new nn.Conv2d(4, 4, 3, { backend }), b2 = new nn.Conv2d(4, 4, 3, { backend });
  expect(await weights(a2)).toEqual(await weights(a));
  expect(await weights(b2)).toEqual(await weights(b));
  expect(await weights(new nn.ConvTranspose2d(4, 2, 3, { backend }))).toEqual(await weights(t));
  // a layer given its own generator draws from it alone
  const own = async () => weights(new nn.Conv2d(4, 4, 3, { backend, rng: new Rng(9) }));
  expect(await own()).toEqual(await own());
});
