/**
 * The element type T of a kernel written for either: f32, or vec4f where the data come in whole vec4s (a vec4
 * load costs about two scalar loads on lavapipe and brings four values: bench/NOTES.md, entries 23 and 27),
 * with `total(v)`, the sum of a T's components. The kernel then counts in T.
 */
export function elementType(vec4: boolean): { code: string; key: string; width: number } {
  return vec4
    ? { code: "alias T = vec4f;\nfn total(v: T) -> f32 { return v.x + v.y + v.z + v.w; }\n", key: "/vec4", width: 4 }
    : { code: "alias T = f32;\nfn total(v: T) -> f32 { return v; }\n", key: "", width: 1 };
}
