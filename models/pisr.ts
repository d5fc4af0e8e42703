// The three networks of PISR, for any architecture of models/registry.ts:
//   teacher:  the lcscc encoder (HR → LR-sized image) + the architecture as its decoder
//   student:  the architecture + the VID estimator on its distilled layer
//   baseline: the architecture alone (same recipe, no distillation).
// Parameter names: FSRCNN keeps the official PISR state-dict layout, the encoder inside the network,
//   backbone.network.{encoder, feature_extraction, …, last_layer} + vid_module_dict.{expanding_mean, expanding_var};
// the other architectures, which the official code does not cover, put their reference names under
// backbone.network and the teacher's encoder beside them: backbone.encoder.0.*, vid_module_dict.<layer>_{mean,var}.

import type { Backend } from "../engine/backend.ts";
import { nn, type Rng, type Tensor } from "../engine/index.ts";
import { lcsccEncoder } from "./encoder.ts";
import { FsrcnnNetwork, type FsrcnnConfig, resolveConfig, rngOf } from "./fsrcnn.ts";
import { type ArchName, archSpec, type ArchSpec, type ModelConfig, type SrNetwork } from "./registry.ts";
import { VidEstimator } from "./vid.ts";

/** The network's role in PISR (a checkpoint header's `architecture`, for files written before `arch` existed). */
export type Architecture = "teacher" | "student" | "baseline";

export interface ModelOptions {
  /** which network (default fsrcnn) */
  arch?: ArchName;
  seed?: number;
  rng?: Rng;
  backend?: Backend;
  /** the teacher's distilled channels, when they differ from the student's (the VID estimator maps onto them) */
  teacherChannels?: number;
}

/** What a forward pass exposes to the losses. */
export interface PisrFeatures {
  /** the teacher encoder's LR-sized output (teacher only) */
  encoder?: Tensor;
  /** the layer distillation reads (FSRCNN: `expanding`) */
  distilled: Tensor;
  hr: Tensor;
}

export class PisrModel extends nn.Module {
  readonly arch: ArchName;
  readonly spec: ArchSpec;
  readonly network: SrNetwork;
  readonly encoder: nn.Module | null;
  readonly vid: VidEstimator | null;
  readonly config: ModelConfig;

  constructor(readonly architecture: Architecture, config: ModelConfig | FsrcnnConfig, opts: ModelOptions = {}) {
    super();
    this.spec = archSpec(opts.arch ?? "fsrcnn");
    this.arch = this.spec.name;
    const c = this.spec.resolve(config as ModelConfig);
    this.config = c;
    const rng = rngOf(opts);
    const channels = this.spec.imageChannels(c);
    const widths = this.spec.encoderWidths(c);
    const encoder = architecture === "teacher" ? lcsccEncoder(c.scale, channels, widths.d, widths.s, rng, opts.backend) : null;
    if (this.arch === "fsrcnn") {
      // the official layout: the encoder is the network's first module
      this.network = new FsrcnnNetwork(resolveConfig(c as unknown as FsrcnnConfig), rng, opts.backend, encoder);
      this.encoder = null;
      this.addModule("backbone", new nn.ModuleDict({ network: this.network }));
    } else {
      this.network = this.spec.build(c, rng, opts.backend);
      this.encoder = encoder;
      const backbone: Record<string, nn.Module> = encoder ? { encoder, network: this.network } : { network: this.network };
      this.addModule("backbone", new nn.ModuleDict(backbone));
    }
    const own = this.spec.distilledChannels(c);
    this.vid = architecture === "student"
      ? this.addModule("vid_module_dict", new VidEstimator(own, opts.teacherChannels ?? own, rng, opts.backend, this.spec.distilledLayer))
      : null;
  }

  /** Image channels in and out: 1 (Y) or 3 (RGB). */
  get imageChannels(): 1 | 3 {
    return this.spec.imageChannels(this.config);
  }

  /** LR pixels of context tiled inference needs each side of a tile. */
  get tileMargin(): number {
    return this.spec.margin(this.config);
  }

  /** Values of the widest activation per LR pixel (tiled inference sizes its tiles by it). */
  get activationsPerLrPixel(): number {
    return this.spec.activationsPerLrPixel(this.config);
  }

  /** The teacher takes the HR image; the student and baseline take the LR image. */
  features(input: Tensor): PisrFeatures {
    if (this.network instanceof FsrcnnNetwork) return this.network.features(input);
    const encoded = this.encoder?.forward(input);
    const f = this.network.features(encoded ?? input);
    return { encoder: encoded, distilled: f.distilled, hr: f.hr };
  }

  forward(input: Tensor): Tensor {
    return this.features(input).hr;
  }

  /**
   * The distilled features alone, without the layers after them: what a frozen teacher gives VID or a hint (for
   * FSRCNN ×4 it skips the 9×9 transposed conv to HR size).
   */
  distilledFeatures(input: Tensor): Tensor {
    const encoded = this.encoder?.forward(input);
    return this.network.distilled(encoded ?? input);
  }

  /** Parameters of the decoder only (what a student inherits from its teacher). */
  decoderParameters(): [string, Tensor][] {
    return this.namedParameters().filter(([name]) => name.startsWith("backbone.network.") && !name.startsWith("backbone.network.encoder."));
  }
}

export const createTeacher = (config: ModelConfig | FsrcnnConfig, opts?: ModelOptions) => new PisrModel("teacher", config, opts);
export const createStudent = (config: ModelConfig | FsrcnnConfig, opts?: ModelOptions) => new PisrModel("student", config, opts);
export const createBaseline = (config: ModelConfig | FsrcnnConfig, opts?: ModelOptions) => new PisrModel("baseline", config, opts);

/** Copies every decoder layer of the teacher into the student (same architecture, names and shapes). */
export async function initialiseFromTeacher(student: PisrModel, teacher: PisrModel): Promise<void> {
  if (student.arch !== teacher.arch) throw new Error(`a ${student.arch} student cannot start from a ${teacher.arch} teacher's decoder`);
  const state = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, p] of teacher.decoderParameters()) state.set(name, { shape: [...p.shape], data: await p.toArray() });
  const own = new Map(student.decoderParameters());
  for (const name of own.keys()) if (!state.has(name)) throw new Error(`teacher has no decoder parameter "${name}"`);
  await student.loadStateDict(state, { strict: false });
}
