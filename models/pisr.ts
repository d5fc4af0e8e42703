// The three networks of PISR with the official state-dict layout:
//   teacher:  backbone.network.{encoder, feature_extraction, …, last_layer}
//   student:  backbone.network.{feature_extraction, …, last_layer} + vid_module_dict.{expanding_mean, expanding_var}
//   baseline: the student's FSRCNN alone (same recipe, no distillation).

import { nn, type Tensor } from "../engine/index.ts";
import { lcsccEncoder } from "./encoder.ts";
import { type BuildOptions, type Features, FsrcnnNetwork, type FsrcnnConfig, resolveConfig, rngOf } from "./fsrcnn.ts";
import { VidEstimator } from "./vid.ts";

export type Architecture = "teacher" | "student" | "baseline";

export class PisrModel extends nn.Module {
  readonly network: FsrcnnNetwork;
  readonly vid: VidEstimator | null;
  readonly config: Required<FsrcnnConfig>;

  constructor(readonly architecture: Architecture, config: FsrcnnConfig, opts: BuildOptions = {}) {
    super();
    this.config = resolveConfig(config);
    const { scale, channels, d, s } = this.config;
    const rng = rngOf(opts);
    const encoder = architecture === "teacher" ? lcsccEncoder(scale, channels, d, s, rng, opts.backend) : null;
    this.network = new FsrcnnNetwork(this.config, rng, opts.backend, encoder);
    this.addModule("backbone", new nn.ModuleDict({ network: this.network }));
    this.vid = architecture === "student" ? this.addModule("vid_module_dict", new VidEstimator(d, rng, opts.backend)) : null;
  }

  /** The teacher takes the HR image; the student and baseline take the LR image. */
  features(input: Tensor): Features {
    return this.network.features(input);
  }

  forward(input: Tensor): Tensor {
    return this.network.forward(input);
  }

  /** Parameters of the FSRCNN decoder only (what a student inherits from its teacher). */
  decoderParameters(): [string, Tensor][] {
    return this.namedParameters().filter(([name]) => name.startsWith("backbone.network.") && !name.startsWith("backbone.network.encoder."));
  }
}

export const createTeacher = (config: FsrcnnConfig, opts?: BuildOptions) => new PisrModel("teacher", config, opts);
export const createStudent = (config: FsrcnnConfig, opts?: BuildOptions) => new PisrModel("student", config, opts);
export const createBaseline = (config: FsrcnnConfig, opts?: BuildOptions) => new PisrModel("baseline", config, opts);

/** Copies every FSRCNN decoder layer of the teacher into the student (same names, same shapes). */
export async function initialiseFromTeacher(student: PisrModel, teacher: PisrModel): Promise<void> {
  const state = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, p] of teacher.decoderParameters()) state.set(name, { shape: [...p.shape], data: await p.toArray() });
  const own = new Map(student.decoderParameters());
  for (const name of own.keys()) if (!state.has(name)) throw new Error(`teacher has no decoder parameter "${name}"`);
  await student.loadStateDict(state, { strict: false });
}
