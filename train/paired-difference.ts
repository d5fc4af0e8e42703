// How sure a gap between two models on one benchmark set is: the per-image differences (the same images, so
// the pictures' own difficulty cancels) summarised by their mean, a Student-t 95% interval and a count of the
// images each side wins. This measures the spread over the set's images, not over training runs (another
// seed of the same recipe gives that: RESULTS.md); a gap should clear both.

export interface PairedDifference {
  /** images compared */
  n: number;
  /** mean of a − b */
  mean: number;
  /** standard error of that mean (sample standard deviation / √n); NaN for one image */
  se: number;
  /** two-sided 95% interval of the mean difference (Student t, n − 1 degrees of freedom); NaN for one image */
  lo: number;
  hi: number;
  /** images where a > b, and where a < b */
  wins: number;
  losses: number;
}

export function pairedDifference(a: readonly number[], b: readonly number[]): PairedDifference {
  if (a.length !== b.length) throw new Error(`paired difference: ${a.length} values against ${b.length}`);
  const n = a.length;
  if (n === 0) throw new Error("paired difference: no values");
  const d = a.map((v, i) => v - b[i]);
  const mean = d.reduce((s, v) => s + v, 0) / n;
  const variance = n > 1 ? d.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1) : NaN;
  const se = Math.sqrt(variance / n);
  const half = n > 1 ? studentTQuantile(0.975, n - 1) * se : NaN;
  return { n, mean, se, lo: mean - half, hi: mean + half, wins: d.filter((v) => v > 0).length, losses: d.filter((v) => v < 0).length };
}

/** Whether the interval excludes zero (a difference that the images agree on). */
export function significant(p: PairedDifference): boolean {
  return p.lo > 0 || p.hi < 0;
}

/** The p-quantile of Student's t with `df` degrees of freedom (0.5 < p < 1), by bisection on its CDF. */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0.5 && p < 1)) throw new Error(`studentTQuantile: p must lie in (0.5, 1), got ${p}`);
  if (!(df > 0)) throw new Error(`studentTQuantile: df must be positive, got ${df}`);
  let lo = 0, hi = 1;
  while (studentTCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** P(T ≤ t) for Student's t with `df` degrees of freedom: 1 − I_x(df/2, 1/2)/2 with x = df/(df + t²), for t ≥ 0. */
export function studentTCdf(t: number, df: number): number {
  const tail = regularizedBeta(df / (df + t * t), df / 2, 0.5) / 2;
  return t >= 0 ? 1 - tail : tail;
}

/** The regularized incomplete beta function I_x(a, b), by its continued fraction (Lentz's method). */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  // the continued fraction converges fast for x < (a + 1)/(a + b + 2); use the symmetry I_x(a,b) = 1 − I_{1−x}(b,a) beyond
  if (x > (a + 1) / (a + b + 2)) return 1 - regularizedBeta(1 - x, b, a);
  const front = Math.exp(a * Math.log(x) + b * Math.log(1 - x) - logBeta(a, b)) / a;
  const tiny = 1e-300;
  let c = 1, d = 1 - ((a + b) * x) / (a + 1);
  d = 1 / (Math.abs(d) < tiny ? tiny : d);
  let f = d;
  for (let m = 1; m <= 300; m++) {
    // the even and the odd step of the fraction
    for (const numerator of [(m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m)), -((a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1))]) {
      d = 1 + numerator * d;
      d = 1 / (Math.abs(d) < tiny ? tiny : d);
      c = 1 + numerator / c;
      if (Math.abs(c) < tiny) c = tiny;
      f *= c * d;
    }
    if (Math.abs(c * d - 1) < 1e-15) break;
  }
  return front * f;
}

function logBeta(a: number, b: number): number {
  return logGamma(a) + logGamma(b) - logGamma(a + b);
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms: ~15 significant digits). */
function logGamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let s = c[0];
  for (let i = 1; i < 9; i++) s += c[i] / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(s);
}
