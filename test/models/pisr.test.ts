// The PISR models (models/pisr.ts): output shapes of the teacher, student and baseline at ×2/×3/×4, parameter
// counts, the official state-dict names and shapes (cvlab-yonsei/PISR models/fsrcnn.py, encoder.py,
// vid_module.py), PyTorch's default initialisation, seeded reproducibility and initialiseFromTeacher.
// Everything runs on the CPU float32 backend; golden.test.ts compares the values with PyTorch.

import { describe, expect, test } from "bun:test";
import { CpuBackend, nn, Rng, type Tensor, tensor, tidy } from "../../engine/index.ts";
import { createBaseline, createStudent, createTeacher, initialiseFromTeacher, type PisrModel } from "../../models/pisr.ts";
import type { FsrcnnNetwork } from "../../models/fsrcnn.ts";

const backend = new CpuBackend("float32");
const SCALES = [2, 3, 4] as const;

/** A model that is disposed after `fn`, whatever happens. */
async function using<T>(m: PisrModel, fn: (m: PisrModel) => T | Promise<T>): Promise<T> {
  try {
    return await fn(m);
  } finally {
    m.dispose();
  }
}

function randomImage(shape: number[], seed: number): Tensor {
  const r = new Rng(seed);
  return tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r.next()), shape, { backend });
}

// ---- the official state-dict keys and shapes (d = 56, s = 12, m = 4, n_colors = 1)

const conv = (prefix: string, cout: number, cin: number, k: number): [string, number[]][] => [
  [`${prefix}.weight`, [cout, cin, k, k]],
  [`${prefix}.bias`, [cout]],
];
const prelu = (prefix: string): [string, number[]][] => [[`${prefix}.weight`, [1]]];

const ENCODER: [string, number[]][] = [
  ...conv("backbone.network.encoder.0.0", 56, 1, 5),
  ...prelu("backbone.network.encoder.0.1"),
  ...conv("backbone.network.encoder.0.2", 56, 56, 5),
  ...prelu("backbone.network.encoder.0.3"),
  ...conv("backbone.network.encoder.0.4", 12, 56, 3),
  ...prelu("backbone.network.encoder.0.5"),
  ...conv("backbone.network.encoder.0.6", 1, 12, 3),
];
const DECODER: [string, number[]][] = [
  ...conv("backbone.network.feature_extraction.0.0", 56, 1, 5),
  ...prelu("backbone.network.feature_extraction.0.1"),
  ...conv("backbone.network.shrinking.0.0", 12, 56, 1),
  ...prelu("backbone.network.shrinking.0.1"),
  ...[0, 1, 2, 3].flatMap((i) => [...conv(`backbone.network.mapping.${i}.0`, 12, 12, 3), ...prelu(`backbone.network.mapping.${i}.1`)]),
  ...conv("backbone.network.expanding.0.0", 56, 12, 1),
  ...prelu("backbone.network.expanding.0.1"),
  // ConvTranspose2d(56, 1, 9): weight [in, out, kh, kw]
  ["backbone.network.last_layer.0.0.weight", [56, 1, 9, 9]],
  ["backbone.network.last_layer.0.0.bias", [1]],
];
const VID: [string, number[]][] = ["expanding_mean", "expanding_var"].flatMap((branch) => [
  ...conv(`vid_module_dict.${branch}.0`, 56, 56, 1),
  ...prelu(`vid_module_dict.${branch}.1`),
  ...conv(`vid_module_dict.${branch}.2`, 56, 56, 1),
]);

const count = (entries: [string, number[]][]) => entries.reduce((n, [, s]) => n + s.reduce((a, b) => a * b, 1), 0);
const layout = (m: PisrModel) => m.namedParameters().map(([n, p]) => [n, [...p.shape]] as [string, number[]]);

describe("state-dict names and shapes match the official PyTorch code", () => {
  test("the reference lists themselves add up to the known counts", () => {
    expect(count(DECODER)).toBe(12_644);
    expect(count(ENCODER)).toBe(86_084);
    expect(count(VID)).toBe(12_770);
  });

  test("teacher: backbone.network.encoder.0.{0..6} then the FSRCNN decoder, in state-dict order", async () => {
    await using(createTeacher({ scale: 2 }, { backend }), (m) => {
      expect(layout(m)).toEqual([...ENCODER, ...DECODER]);
      expect(m.vid).toBeNull();
    });
  });

  test("student: the FSRCNN decoder then vid_module_dict.expanding_{mean,var}.{0,1,2}", async () => {
    await using(createStudent({ scale: 3 }, { backend }), (m) => {
      expect(layout(m)).toEqual([...DECODER, ...VID]);
      expect(m.vid).not.toBeNull();
    });
  });

  test("baseline: the FSRCNN decoder alone", async () => {
    await using(createBaseline({ scale: 4 }, { backend }), (m) => {
      expect(layout(m)).toEqual(DECODER);
      expect(m.vid).toBeNull();
    });
  });

  test("the names do not depend on the scale (the last layer's weight is [56, 1, 9, 9] at every scale)", async () => {
    for (const scale of SCALES) {
      await using(createTeacher({ scale }, { backend }), (m) => expect(layout(m)).toEqual([...ENCODER, ...DECODER]));
    }
  });

  test("decoderParameters: every backbone.network parameter except the encoder's", async () => {
    await using(createTeacher({ scale: 2 }, { backend }), (m) => expect(m.decoderParameters().map(([n]) => n)).toEqual(DECODER.map(([n]) => n)));
    await using(createStudent({ scale: 2 }, { backend }), (m) => expect(m.decoderParameters().map(([n]) => n)).toEqual(DECODER.map(([n]) => n)));
  });

  test("stateDict has the same keys, shapes and values as namedParameters", async () => {
    await using(createStudent({ scale: 2 }, { backend, seed: 5 }), async (m) => {
      const sd = await m.stateDict();
      expect([...sd.keys()]).toEqual([...DECODER, ...VID].map(([n]) => n));
      for (const [name, p] of m.namedParameters()) {
        expect(sd.get(name)!.shape).toEqual([...p.shape]);
        expect(sd.get(name)!.data).toEqual(await p.toArray());
      }
    });
  });
});

describe("parameter counts", () => {
  test("FSRCNN (baseline) has 12,644 parameters at 1 channel, at every scale", async () => {
    for (const scale of SCALES) await using(createBaseline({ scale }, { backend }), (m) => expect(m.parameterCount()).toBe(12_644));
  });

  test("teacher = FSRCNN + the lcscc encoder (86,084) = 98,728", async () => {
    await using(createTeacher({ scale: 2 }, { backend }), (m) => {
      expect(m.parameterCount()).toBe(98_728);
      expect(m.parameterCount() - m.decoderParameters().reduce((n, [, p]) => n + p.size, 0)).toBe(86_084);
    });
  });

  test("student = FSRCNN + the VID estimator (2 × (56·56 + 56 + 1 + 56·56 + 56) = 12,770) = 25,414", async () => {
    await using(createStudent({ scale: 2 }, { backend }), (m) => {
      expect(m.parameterCount()).toBe(25_414);
      expect(m.vid!.parameterCount()).toBe(12_770);
    });
  });

  test("counts follow the formulas for other widths (channels 3, d 32, s 8, m 2)", async () => {
    const [c, d, s, mm] = [3, 32, 8, 2];
    const fsrcnn = (c * d * 25 + d + 1) + (d * s + s + 1) + mm * (s * s * 9 + s + 1) + (s * d + d + 1) + (d * c * 81 + c);
    const encoder = (c * d * 25 + d + 1) + (d * d * 25 + d + 1) + (d * s * 9 + s + 1) + (s * c * 9 + c);
    const vid = 2 * (2 * (d * d + d) + 1);
    const cfg = { scale: 3, channels: c, d, s, m: mm };
    await using(createBaseline(cfg, { backend }), (m) => expect(m.parameterCount()).toBe(fsrcnn));
    await using(createTeacher(cfg, { backend }), (m) => expect(m.parameterCount()).toBe(fsrcnn + encoder));
    await using(createStudent(cfg, { backend }), (m) => expect(m.parameterCount()).toBe(fsrcnn + vid));
  });
});

describe("output shapes", () => {
  for (const scale of SCALES) {
    // HR sides divisible by the scale but otherwise odd-ish: LR 5×7 and 3×4 (N = 2)
    const [h, w] = [5 * scale, 7 * scale];
    test(`×${scale} teacher: HR [2, 1, ${h}, ${w}] → encoder [2, 1, 5, 7], expanding [2, 56, 5, 7], hr [2, 1, ${h}, ${w}]`, async () => {
      await using(createTeacher({ scale }, { backend, seed: scale }), (m) =>
        tidy(() => {
          const f = m.features(randomImage([2, 1, h, w], 1));
          expect(f.encoder!.shape).toEqual([2, 1, 5, 7]);
          expect(f.distilled.shape).toEqual([2, 56, 5, 7]);
          expect(f.hr.shape).toEqual([2, 1, h, w]);
        }));
    });

    test(`×${scale} student: LR [2, 1, 5, 7] → expanding [2, 56, 5, 7], VID mu/scale [2, 56, 5, 7] (scale > 0), hr [2, 1, ${h}, ${w}]`, async () => {
      await using(createStudent({ scale }, { backend, seed: scale }), (m) =>
        tidy(async () => {
          const f = m.features(randomImage([2, 1, 5, 7], 2));
          expect(f.encoder).toBeUndefined();
          expect(f.distilled.shape).toEqual([2, 56, 5, 7]);
          expect(f.hr.shape).toEqual([2, 1, h, w]);
          const { mu, scale: sd } = m.vid!.estimate(f.distilled);
          expect(mu.shape).toEqual([2, 56, 5, 7]);
          expect(sd.shape).toEqual([2, 56, 5, 7]);
          expect((await sd.toArray()).every((v) => v > 0 && Number.isFinite(v))).toBe(true);
        }));
    });

    test(`×${scale} baseline: LR [1, 1, 3, 4] → hr [1, 1, ${3 * scale}, ${4 * scale}]; forward = features().hr`, async () => {
      await using(createBaseline({ scale }, { backend, seed: scale }), (m) =>
        tidy(async () => {
          const x = randomImage([1, 1, 3, 4], 3);
          const f = m.features(x);
          expect(f.hr.shape).toEqual([1, 1, 3 * scale, 4 * scale]);
          expect(await m.forward(x).toArray()).toEqual(await f.hr.toArray());
        }));
    });
  }

  test("teacher on an HR side not divisible by the scale: LR side ⌈H/scale⌉, hr side scale·⌈H/scale⌉ (as PyTorch)", async () => {
    // strided conv k 5 p 2: ⌊(H − 1)/s⌋ + 1 = ⌈H/s⌉; transposed conv: s·⌈H/s⌉
    await using(createTeacher({ scale: 3 }, { backend }), (m) =>
      tidy(() => {
        const f = m.features(randomImage([1, 1, 13, 11], 4));
        expect(f.encoder!.shape).toEqual([1, 1, 5, 4]);
        expect(f.hr.shape).toEqual([1, 1, 15, 12]);
      }));
  });

  test("1×1 LR input works at ×4", async () => {
    await using(createBaseline({ scale: 4 }, { backend }), (m) => tidy(() => expect(m.forward(randomImage([1, 1, 1, 1], 5)).shape).toEqual([1, 1, 4, 4])));
  });

  test("3-channel models keep the channel count", async () => {
    await using(createTeacher({ scale: 2, channels: 3 }, { backend }), (m) =>
      tidy(() => {
        const f = m.features(randomImage([1, 3, 6, 8], 6));
        expect(f.encoder!.shape).toEqual([1, 3, 3, 4]);
        expect(f.hr.shape).toEqual([1, 3, 6, 8]);
      }));
  });

  test("scales other than 2, 3, 4 are refused", () => {
    for (const scale of [1, 5, 2.5]) expect(() => createBaseline({ scale }, { backend })).toThrow(/scale/);
  });
});

describe("initialisation (PyTorch defaults)", () => {
  test("every PReLU holds one slope, 0.25 (10 in the teacher, 9 in the student, 7 in the baseline)", async () => {
    const isPrelu = (name: string, shape: readonly number[]) => name.endsWith(".weight") && shape.length === 1;
    const cases = [[createTeacher, [...ENCODER, ...DECODER], 10], [createStudent, [...DECODER, ...VID], 9], [createBaseline, DECODER, 7]] as const;
    for (const [make, reference, n] of cases) {
      await using(make({ scale: 2 }, { backend, seed: 4 }), async (m) => {
        const prelus = m.namedParameters().filter(([name, p]) => isPrelu(name, p.shape));
        const expected = reference.filter(([name, shape]) => isPrelu(name, shape)).map(([name]) => name);
        expect(expected.length).toBe(n);
        expect(prelus.map(([name]) => name)).toEqual(expected);
        for (const [name, p] of prelus) expect(Array.from(await p.toArray()), name).toEqual([0.25]);
      });
    }
  });

  test("weights and biases lie in U(−1/√fan_in, 1/√fan_in), fan_in = in·kh·kw for Conv2d and out·kh·kw for ConvTranspose2d", async () => {
    await using(createTeacher({ scale: 3 }, { backend, seed: 11 }), async (t) => {
      await using(createStudent({ scale: 3 }, { backend, seed: 12 }), async (s) => {
        const shapes = new Map(t.namedParameters().concat(s.namedParameters()).map(([n, p]) => [n, [...p.shape]]));
        for (const [name, p] of [...t.namedParameters(), ...s.namedParameters()]) {
          if (p.shape.length === 1 && p.size === 1 && !name.endsWith("bias")) continue; // PReLU
          const w = shapes.get(name.replace(/bias$/, "weight"))!;
          // torch takes fan_in from dim 1 of the weight: in·kh·kw for Conv2d [out, in, kh, kw], out·kh·kw for
          // ConvTranspose2d [in, out, kh, kw] (the layouts themselves are checked above)
          const fanIn = w[1] * w[2] * w[3];
          const bound = 1 / Math.sqrt(fanIn);
          const v = await p.toArray();
          let max = 0, sum = 0;
          for (const x of v) {
            max = Math.max(max, Math.abs(x));
            sum += x;
          }
          expect(max, `${name}: max |w| ${max} vs bound ${bound}`).toBeLessThanOrEqual(bound);
          // the draws fill the interval (a smaller fan_in guess would show as max ≪ bound) and centre on 0
          if (v.length >= 50) {
            expect(max, `${name}: max |w| ${max} ≪ bound ${bound}`).toBeGreaterThan(0.9 * bound);
            expect(Math.abs(sum / v.length), `${name}: mean`).toBeLessThan((4 * bound) / Math.sqrt(3 * v.length));
          }
        }
      });
    });
  });

  test("the transposed conv's bound is 1/√(1·9·9) = 1/9, not 1/√(56·9·9)", async () => {
    await using(createBaseline({ scale: 2 }, { backend, seed: 3 }), async (m) => {
      const w = await (m.network as FsrcnnNetwork).lastLayer.namedParameters()[0][1].toArray();
      const max = w.reduce((a, x) => Math.max(a, Math.abs(x)), 0);
      expect(max).toBeLessThanOrEqual(1 / 9);
      expect(max).toBeGreaterThan(0.1); // 1/√(56·81) ≈ 0.0148 would never get here
    });
  });
});

describe("seeded initialisation", () => {
  const values = async (m: PisrModel) => {
    try {
      return [...(await m.stateDict())].map(([n, v]) => [n, Array.from(v.data)] as const);
    } finally {
      m.dispose();
    }
  };

  test("the same seed gives the same weights; a different seed, different weights", async () => {
    for (const make of [createTeacher, createStudent, createBaseline]) {
      const a = await values(make({ scale: 2 }, { backend, seed: 7 }));
      const b = await values(make({ scale: 2 }, { backend, seed: 7 }));
      const c = await values(make({ scale: 2 }, { backend, seed: 8 }));
      expect(b).toEqual(a);
      // every randomly initialised tensor differs (PReLU slopes are 0.25 for any seed)
      for (let i = 0; i < a.length; i++) {
        const [name] = a[i];
        if (a[i][1].length === 1 && !name.endsWith("bias")) expect(c[i][1], name).toEqual(a[i][1]);
        else expect(c[i][1], name).not.toEqual(a[i][1]);
      }
    }
  });

  test("no seed means seed 0; an Rng passed in is used (and advanced)", async () => {
    expect(await values(createStudent({ scale: 3 }, { backend }))).toEqual(await values(createStudent({ scale: 3 }, { backend, seed: 0 })));
    const rng = new Rng(42);
    expect(await values(createBaseline({ scale: 3 }, { backend, rng }))).toEqual(await values(createBaseline({ scale: 3 }, { backend, seed: 42 })));
    expect(rng.state).not.toBe(42);
  });

  test("the scale does not change the weights drawn for the same seed (same layer shapes)", async () => {
    expect(await values(createBaseline({ scale: 2 }, { backend, seed: 9 }))).toEqual(await values(createBaseline({ scale: 4 }, { backend, seed: 9 })));
  });

  test("the layers draw different values from one stream (no layer repeats another)", async () => {
    const v = await values(createStudent({ scale: 2 }, { backend, seed: 1 }));
    const mapping = v.filter(([n]) => /mapping\.\d\.0\.weight$/.test(n)).map(([, d]) => d);
    expect(mapping.length).toBe(4);
    for (let i = 1; i < 4; i++) expect(mapping[i]).not.toEqual(mapping[0]);
    const vid = v.filter(([n]) => /vid_module_dict\.expanding_(mean|var)\.0\.weight$/.test(n)).map(([, d]) => d);
    expect(vid[1]).not.toEqual(vid[0]);
  });
});

describe("initialiseFromTeacher", () => {
  test("copies every decoder parameter, leaves the VID estimator and the teacher untouched, and shares no memory", async () => {
    const teacher = createTeacher({ scale: 2 }, { backend, seed: 100 });
    const student = createStudent({ scale: 2 }, { backend, seed: 200 });
    try {
      // distinct slopes in the teacher, so the PReLUs are checked too
      await teacher.loadStateDict(
        new Map(teacher.decoderParameters().filter(([, p]) => p.size === 1 && p.shape.length === 1).map(([n], i) => [n, { shape: [1], data: [0.1 + i / 100] }])),
        { strict: false },
      );
      const teacherBefore = await teacher.stateDict();
      const studentBefore = await student.stateDict();
      const decoderNames = DECODER.map(([n]) => n);
      // before: every decoder tensor differs (random weights; the teacher's slopes were set above)
      for (const n of decoderNames) expect(studentBefore.get(n)!.data, n).not.toEqual(teacherBefore.get(n)!.data);

      await initialiseFromTeacher(student, teacher);
      const after = await student.stateDict();
      for (const n of decoderNames) expect(after.get(n)!.data, n).toEqual(teacherBefore.get(n)!.data);
      for (const [n] of VID) expect(after.get(n)!.data, n).toEqual(studentBefore.get(n)!.data);
      const teacherAfter = await teacher.stateDict();
      for (const [n, v] of teacherBefore) expect(teacherAfter.get(n)!.data, n).toEqual(v.data);

      // a later change to the student does not reach the teacher
      const name = "backbone.network.mapping.1.0.bias";
      await student.loadStateDict(new Map([[name, { shape: [12], data: new Float32Array(12).fill(3) }]]), { strict: false });
      expect((await teacher.stateDict()).get(name)!.data).toEqual(teacherBefore.get(name)!.data);

      // and the student now computes the teacher's decoder: same hr from the same LR-sized input
      await initialiseFromTeacher(student, teacher);
      await tidy(async () => {
        const x = randomImage([1, 1, 4, 5], 9);
        const viaStudent = await student.forward(x).toArray();
        const viaTeacherDecoder = await (teacher.network as FsrcnnNetwork).lastLayer
          .forward((teacher.network as FsrcnnNetwork).expanding.forward((teacher.network as FsrcnnNetwork).mapping.forward((teacher.network as FsrcnnNetwork).shrinking.forward((teacher.network as FsrcnnNetwork).featureExtraction.forward(x)))))
          .toArray();
        expect(viaStudent).toEqual(viaTeacherDecoder);
      });
    } finally {
      teacher.dispose();
      student.dispose();
    }
  });

  test("works for a baseline too, and refuses a teacher whose decoder lacks a student parameter", async () => {
    const teacher = createTeacher({ scale: 3 }, { backend, seed: 1 });
    const baseline = createBaseline({ scale: 3 }, { backend, seed: 2 });
    const deeper = createStudent({ scale: 3, m: 5 }, { backend, seed: 3 });
    try {
      await initialiseFromTeacher(baseline, teacher);
      const [b, t] = [await baseline.stateDict(), await teacher.stateDict()];
      for (const [n, v] of b) expect(v.data, n).toEqual(t.get(n)!.data);
      await expect(initialiseFromTeacher(deeper, teacher)).rejects.toThrow(/mapping\.4/);
    } finally {
      teacher.dispose();
      baseline.dispose();
      deeper.dispose();
    }
  });

  test("a teacher of another width is refused by shape", async () => {
    const teacher = createTeacher({ scale: 2, d: 32 }, { backend });
    const student = createStudent({ scale: 2 }, { backend });
    try {
      await expect(initialiseFromTeacher(student, teacher)).rejects.toThrow(/shape/);
    } finally {
      teacher.dispose();
      student.dispose();
    }
  });
});

// the models are ordinary nn.Modules (stateDict, loadStateDict, parameters)
test("PisrModel is an nn.Module", async () => {
  await using(createBaseline({ scale: 2 }, { backend }), (m) => expect(m).toBeInstanceOf(nn.Module));
});
