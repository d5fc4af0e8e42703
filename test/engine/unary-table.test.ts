// The unary op table (engine/unary-table.ts) as both backends use it: a name it does not hold, or an argument the op
// does not take, throws at the call, naming it, on both (no fallback to another op's numbers), and the WebGPU backend
// compiles one pipeline per op and direction, whatever the arguments' values. The numbers of every op are checked by backend-agreement, ops-gpu and gradcheck, which iterate
// over the table.

import { describe, expect, test } from "bun:test";
import type { Backend, UnaryArgs, UnaryOp } from "../../engine/backend.ts";
import { CpuBackend } from "../../engine/cpu/backend.ts";
import { UNARY_OP_NAMES } from "../../engine/unary-table.ts";
import { webGpuForFile } from "./util.ts";

const { skip, gpu } = await webGpuForFile("unary table tests");

/** Not in the table: a typo, a PyTorch op the engine lacks, and names an object inherits from its prototype. */
const UNKNOWN = ["sigmoid", "Exp", "", "toString", "constructor", "__proto__"];

/** Asserts that every unknown name throws from unary and unaryBackward, naming it, and leaves no storage live. */
function expectUnknownOpsThrow(be: Backend): void {
  const live = be.memory().live;
  const x = be.upload([0.5, -1, 2]);
  const dy = be.upload([1, 1, 1]);
  for (const name of UNKNOWN) {
    const op = name as UnaryOp; // bypasses the type, as a caller from plain JavaScript would
    expect(() => be.unary(op, x), `unary("${name}")`).toThrow(`unknown unary op "${name}"`);
    expect(() => be.unaryBackward(op, x, dy), `unaryBackward("${name}")`).toThrow(`unknown unary op "${name}"`);
  }
  be.release(x);
  be.release(dy);
  expect(be.memory().live, "storages live after the failed calls").toBe(live);
}

/** Arguments an op does not take: a slope for clamp, bounds for leakyRelu, either for an op without arguments. */
const MISPLACED: [UnaryOp, UnaryArgs, string][] = [["clamp", { min: 0, slope: 0.1 }, "slope"], ["leakyRelu", { max: 1 }, "max"], ["exp", { min: 0 }, "min"]];

/** Asserts that each misplaced argument throws from unary and unaryBackward, naming op and argument, and leaves no storage live. */
function expectMisplacedArgsThrow(be: Backend): void {
  const live = be.memory().live;
  const x = be.upload([0.5, -1, 2]);
  const dy = be.upload([1, 1, 1]);
  for (const [op, args, key] of MISPLACED) {
    expect(() => be.unary(op, x, args), `unary("${op}", ${JSON.stringify(args)})`).toThrow(`unary op "${op}" takes no argument "${key}"`);
    expect(() => be.unaryBackward(op, x, dy, args), `unaryBackward("${op}")`).toThrow(`unary op "${op}" takes no argument "${key}"`);
  }
  be.release(x);
  be.release(dy);
  expect(be.memory().live, "storages live after the failed calls").toBe(live);
}

describe("an argument the op does not take throws at the call, naming both", () => {
  test("CPU, float32 and float64", () => {
    for (const dtype of ["float32", "float64"] as const) expectMisplacedArgsThrow(new CpuBackend(dtype));
  });

  test.skipIf(skip)("WebGPU, before dispatching anything", () => {
    const be = gpu();
    const dispatches = be.rt.counters.dispatches;
    expectMisplacedArgsThrow(be);
    expect(be.rt.counters.dispatches - dispatches, "dispatches queued by the failed calls").toBe(0);
  });
});

describe("an op not in the table throws at the call, naming it", () => {
  test("CPU, float32 and float64", () => {
    for (const dtype of ["float32", "float64"] as const) expectUnknownOpsThrow(new CpuBackend(dtype));
  });

  test.skipIf(skip)("WebGPU, before dispatching anything", () => {
    const be = gpu();
    const dispatches = be.rt.counters.dispatches;
    expectUnknownOpsThrow(be);
    expect(be.rt.counters.dispatches - dispatches, "dispatches queued by the failed calls").toBe(0);
  });
});

test.skipIf(skip)("WebGPU compiles one pipeline per op and direction, and reuses it", async () => {
  const be = gpu();
  const x = be.upload([0.25, -0.5, 2]);
  const dy = be.upload([1, -1, 0.5]);
  // the second round passes other argument values: they are uniforms, not compiled in
  const runAll = (round: number) => {
    for (const op of UNARY_OP_NAMES) {
      const args: UnaryArgs = op === "clamp" ? { min: -0.3 * round, max: round } : op === "leakyRelu" ? { slope: 0.1 * round } : {};
      be.release(be.unary(op, x, args));
      be.release(be.unaryBackward(op, x, dy, args));
    }
  };
  const before = be.rt.counters.pipelines;
  runAll(1);
  expect(be.rt.counters.pipelines - before, "pipelines compiled by the first round").toBe(2 * UNARY_OP_NAMES.length);
  runAll(2);
  expect(be.rt.counters.pipelines - before, "pipelines compiled by both rounds").toBe(2 * UNARY_OP_NAMES.length);
  await be.read(x);
  await be.rt.checkErrors();
  be.release(x);
  be.release(dy);
});

describe("binary ops", () => {
  const expectUnknownBinaryThrows = (be: Backend) => {
    const a = be.upload([1, 2]), b = be.upload([3, 4]);
    expect(() => be.binary("pow" as "add", a, [1, 1, 1, 2], b, [1, 1, 1, 2], [1, 1, 1, 2])).toThrow('unknown binary op "pow" (known: add, sub, mul, div)');
    be.release(a);
    be.release(b);
  };
  test("an unknown binary op throws on the CPU, naming it", () => expectUnknownBinaryThrows(new CpuBackend("float32")));
  test.skipIf(skip)("an unknown binary op throws on WebGPU, naming it", () => expectUnknownBinaryThrows(gpu()));
});
