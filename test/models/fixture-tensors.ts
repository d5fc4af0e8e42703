// Tensors as the PyTorch fixture scripts write them (little-endian float32, base64), the students' cases, and
// the relative error the golden tests compare them by (test/engine/util.ts's, which also catches NaN and ∞).

export interface Enc {
  shape: number[];
  b64: string;
}

export function decode(e: Enc): { shape: number[]; data: Float32Array } {
  const bytes = Buffer.from(e.b64, "base64");
  const n = e.shape.reduce((a, b) => a * b, 1);
  if (bytes.length !== 4 * n) throw new Error(`fixture tensor [${e.shape}]: ${bytes.length} bytes, expected ${4 * n}`);
  const data = new Float32Array(n);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < n; i++) data[i] = view.getFloat32(4 * i, true);
  return { shape: e.shape, data };
}

export { relErr } from "../engine/util.ts";

/** A model's full-size layout, as the student fixture scripts write it (scripts/fixtures/student_fixture_cases.py). */
export interface FullSize {
  trainable: number;
  stateDictValues: number;
  stateDict: [string, number[]][];
}

/** One value case of the student fixtures: weights, input, outputs, the L1 loss and every gradient. */
export interface StudentCase<C> {
  config: C;
  state: Record<string, Enc>;
  input: Enc;
  target: Enc;
  outputs: { distilled: Enc; hr: Enc };
  loss: number;
  grads: Record<string, Enc>;
  inputGrad: Enc;
}
