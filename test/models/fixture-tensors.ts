// Tensors as the students' PyTorch fixture scripts write them (little-endian float32, base64), and the
// relative error the golden tests compare them by.

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

/** ‖a − b‖ / ‖b‖ (‖a − b‖ when b is zero); NaN when the lengths differ */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return NaN;
  let diff = 0, ref = 0;
  for (let i = 0; i < a.length; i++) {
    diff += (a[i]! - b[i]!) ** 2;
    ref += b[i]! * b[i]!;
  }
  return ref > 0 ? Math.sqrt(diff / ref) : Math.sqrt(diff);
}
