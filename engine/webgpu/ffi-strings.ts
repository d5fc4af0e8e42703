// bun-webgpu 0.1.7 hands each string of a descriptor (a kernel's WGSL, labels, entry points) to Dawn as
// `ptr(encoder.encode(s))` and keeps no reference to the encoded bytes. A garbage collection between packing the
// descriptor and the native call frees them, and Dawn reads whatever lies there: CI once saw a kernel's WGSL
// arrive as NUL bytes ("Error while parsing WGSL: :1:1 error: null character found"). A collection forced at that
// point fails every time (scripts/repro/bun-webgpu-strings.ts, test/engine/ffi-strings.test.ts). The engine's
// calls that pass strings run inside `keepingEncodedStrings`, which holds every TextEncoder output made meanwhile
// until the call returns; Dawn has copied or parsed the strings by then.

/** Runs `call` (synchronous) with every TextEncoder output it makes kept reachable until it returns. */
export function keepingEncodedStrings<T>(call: () => T): T {
  const proto = TextEncoder.prototype;
  const encode = proto.encode;
  const kept: Uint8Array[] = [];
  proto.encode = function (this: TextEncoder, input?: string): Uint8Array {
    const bytes = encode.call(this, input);
    kept.push(bytes);
    return bytes;
  } as typeof encode;
  try {
    return call();
  } finally {
    proto.encode = encode;
  }
}
