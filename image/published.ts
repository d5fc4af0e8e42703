/**
 * Published bicubic baselines (Y-channel PSNR dB / SSIM, `scale` px shaved, MATLAB imresize down then up).
 * Set5 and Set14: as listed in the project's data README (../shared/data/README.md).
 * B100 and Urban100 are not in that README; the values below are the ones commonly tabulated in the SR
 * literature (VDSR / LapSRN / EDSR-era tables) and are shown for orientation only.
 */
export interface Published {
  psnr: number;
  ssim: number;
  source: string;
}

const README = "shared/data/README.md";
const LIT = "SR literature tables (VDSR/LapSRN), not in the data README";

export const PUBLISHED_BICUBIC: Record<string, Record<number, Published>> = {
  Set5: {
    2: { psnr: 33.66, ssim: 0.9299, source: README },
    3: { psnr: 30.39, ssim: 0.8682, source: README },
    4: { psnr: 28.42, ssim: 0.8104, source: README },
  },
  Set14: {
    2: { psnr: 30.24, ssim: 0.8688, source: README },
    3: { psnr: 27.55, ssim: 0.7742, source: README },
    4: { psnr: 26.0, ssim: 0.7027, source: README },
  },
  B100: {
    2: { psnr: 29.56, ssim: 0.8431, source: LIT },
    3: { psnr: 27.21, ssim: 0.7385, source: LIT },
    4: { psnr: 25.96, ssim: 0.6675, source: LIT },
  },
  Urban100: {
    2: { psnr: 26.88, ssim: 0.8403, source: LIT },
    3: { psnr: 24.46, ssim: 0.7349, source: LIT },
    4: { psnr: 23.14, ssim: 0.6577, source: LIT },
  },
};
