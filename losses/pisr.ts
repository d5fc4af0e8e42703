// PISR's training objectives, following the official loss_factory.py.

import { add, l1Loss, mseLoss, mul, nllLoss, type Tensor } from "../engine/index.ts";

export interface TeacherLossTerms {
  loss: Tensor;
  /** L1(teacher output, HR) */
  reconstruction: Tensor;
  /** L1(encoder output, bicubic LR): keeps the privileged encoding close to a real LR image */
  imitation: Tensor;
}

/** L1(teacher output, HR) + λ · L1(encoder output, bicubic LR); λ = 1e-4 in the official recipe. */
export function teacherLoss(hrPred: Tensor, hr: Tensor, encoded: Tensor, lr: Tensor, lambda = 1e-4): TeacherLossTerms {
  const reconstruction = l1Loss(hrPred, hr);
  const imitation = l1Loss(encoded, lr);
  return { loss: add(reconstruction, mul(imitation, lambda)), reconstruction, imitation };
}

export type VidPdf = "laplace" | "gaussian";

/**
 * Variational information distillation as a negative log-likelihood of the teacher features `target`
 * under the student's estimate (mean `mu`, softplus-activated `scale`), averaged over every element:
 *   Laplace:  b = 0.1·scale + 1e-8,   C·ln(2π)/2 + ln(2b) + |μ − t| / b
 *   Gaussian: v = 0.001·scale + 1e-8, C·ln(2π)/2 + ln(v)/2 + (μ − t)² / (2v)
 * C is the channel count; the constant is kept to match the official numbers.
 */
export function vidLoss(mu: Tensor, scale: Tensor, target: Tensor, pdf: VidPdf = "laplace"): Tensor {
  if (pdf !== "laplace" && pdf !== "gaussian") throw new Error(`unknown VID pdf "${pdf}": use laplace or gaussian`);
  const constant = (mu.shape[1] * Math.log(2 * Math.PI)) / 2;
  // one fused kernel per direction (engine/ops/nll.ts); the Gaussian's ½·ln v + (μ − t)²/(2v) is its NLL as is
  const nll = nllLoss(pdf, mu, scale, target, pdf === "laplace" ? { a: 0.1, eps: 1e-8 } : { a: 0.001, eps: 1e-8 });
  return add(nll, constant);
}

export interface StudentLossTerms {
  loss: Tensor;
  reconstruction: Tensor;
  distillation: Tensor;
}

/** λ1 · L1(student output, HR) + λ2 · VID; λ1 = 1, λ2 = 1e-6 in the official recipe. */
export function studentLoss(
  hrPred: Tensor, hr: Tensor, mu: Tensor, scale: Tensor, teacherFeatures: Tensor, opts: { lambda1?: number; lambda2?: number; pdf?: VidPdf } = {},
): StudentLossTerms {
  const reconstruction = l1Loss(hrPred, hr);
  const distillation = vidLoss(mu, scale, teacherFeatures, opts.pdf ?? "laplace");
  const loss = add(mul(reconstruction, opts.lambda1 ?? 1), mul(distillation, opts.lambda2 ?? 1e-6));
  return { loss, reconstruction, distillation };
}

/**
 * SR's analogue of Hinton's soft targets: the student's HR output fits the frozen teacher's HR output, by L1
 * (default) or L2 (mean squared error).
 */
export function outputDistillationLoss(studentHr: Tensor, teacherHr: Tensor, norm: "l1" | "l2" = "l1"): Tensor {
  if (norm !== "l1" && norm !== "l2") throw new Error(`unknown output distillation norm "${norm}": use l1 or l2`);
  return norm === "l1" ? l1Loss(studentHr, teacherHr) : mseLoss(studentHr, teacherHr);
}

/** FitNets' hint: a learned regressor maps the student's features onto the teacher's; mean squared error. */
export function hintLoss(regressed: Tensor, teacherFeatures: Tensor): Tensor {
  return mseLoss(regressed, teacherFeatures);
}

/** λ1 · L1(student output, HR) + λ · distillation term (any of the above), with the terms for logging. */
export function distilledLoss(hrPred: Tensor, hr: Tensor, distillation: Tensor | null, lambda: number, lambda1 = 1): StudentLossTerms | { loss: Tensor; reconstruction: Tensor } {
  const reconstruction = l1Loss(hrPred, hr);
  if (!distillation) return { loss: lambda1 === 1 ? reconstruction : mul(reconstruction, lambda1), reconstruction };
  return { loss: add(mul(reconstruction, lambda1), mul(distillation, lambda)), reconstruction, distillation };
}
