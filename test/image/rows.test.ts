// Images a row at a time (image/rows.ts), and the row forms of imresize and ycbcrToRgb, which `upscale` chains
// into the PNG writer: each row equals the whole computation's, in any order asked.

import { describe, expect, test } from "bun:test";
import { mergeChannels, rgbToYcbcr, splitChannels, ycbcrRowsToRgb } from "../../image/color.ts";
import { imresize, imresizeRows } from "../../image/resize.ts";
import { collectRows, mergeRows, rowsOf, type Rows } from "../../image/rows.ts";
import { makeImage, type Image } from "../../image/types.ts";

function textured(width: number, height: number, channels: number): Image {
  const img = makeImage(width, height, channels);
  for (let i = 0; i < img.data.length; i++) img.data[i] = 0.5 + 0.45 * Math.sin(i * 0.37) * Math.cos(i * 0.011);
  return img;
}

/** Rows asked for last to first, then in a scrambled order: each must equal the same row of `whole`. */
function expectRowsEqual(rows: Rows, whole: Image): void {
  expect([rows.width, rows.height, rows.channels]).toEqual([whole.width, whole.height, whole.channels]);
  const len = whole.width * whole.channels;
  const order = [...Array(rows.height).keys()].reverse();
  order.push(...order.map((y) => (y * 7) % rows.height));
  for (const y of order) expect(Array.from(rows.row(y))).toEqual(Array.from(whole.data.subarray(y * len, (y + 1) * len)));
}

describe("rows", () => {
  test("rowsOf / collectRows round trip an image exactly", () => {
    const img = textured(9, 4, 3);
    expect(Array.from(collectRows(rowsOf(img)).data)).toEqual(Array.from(img.data));
    expectRowsEqual(rowsOf(img), img);
  });

  test("mergeRows interleaves parts of any channel count, as mergeChannels does planes", () => {
    const rgb = textured(6, 5, 3), alpha = textured(6, 5, 1);
    const planes = [...splitChannels(rgb), alpha];
    expectRowsEqual(mergeRows([rowsOf(rgb), rowsOf(alpha)]), mergeChannels(planes));
    expect(() => mergeRows([rowsOf(rgb), rowsOf(textured(5, 5, 1))])).toThrow(/part 1 is 5x5, expected 6x5/);
    expect(() => mergeRows([])).toThrow(/nothing to merge/);
  });

  test("imresizeRows: every row is imresize's, height resized first (×4, shrinking) and width first", () => {
    const grey = textured(13, 17, 1), rgb = textured(9, 11, 3);
    for (const [img, size] of [
      [grey, 4],
      [rgb, 3],
      [grey, 0.5],
      [rgb, { width: 5, height: 40 }], // scale_h > scale_w: MATLAB resizes the width first
      [grey, { width: 30, height: 9 }],
    ] as const) {
      expectRowsEqual(imresizeRows(img, size), imresize(img, size));
    }
  });

  test("ycbcrRowsToRgb undoes rgbToYcbcr row by row", () => {
    const rgb = textured(8, 6, 3);
    const back = collectRows(ycbcrRowsToRgb(rowsOf(rgbToYcbcr(rgb))));
    let worst = 0;
    for (let i = 0; i < rgb.data.length; i++) worst = Math.max(worst, Math.abs(back.data[i] - rgb.data[i]));
    expect(worst).toBeLessThan(1e-6);
    expect(() => ycbcrRowsToRgb(rowsOf(textured(2, 2, 1)))).toThrow(/expected 3 channels, got 1/);
  });
});
