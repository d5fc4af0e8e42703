export {};
// Runs the whole suite with `bun test` and closes with the line CI reads: "N passed, N failed".
// Bun prints its own summary (" 12 pass", " 0 fail"); we re-state it in the plain form.
const args = process.argv.slice(2);
const proc = Bun.spawn([process.execPath, "test", "--timeout", "600000", ...(args.length ? args : ["test/"])], {
  stdout: "inherit",
  stderr: "pipe",
  env: process.env,
});

// bun test reports results on stderr; echo it onto stdout (one ordered stream) while we count.
let tail = "";
const decoder = new TextDecoder();
for await (const chunk of proc.stderr) {
  const text = decoder.decode(chunk);
  process.stdout.write(text);
  tail = (tail + text).slice(-4000);
}
const code = await proc.exited;
const count = (word: string) => Number(tail.match(new RegExp(`^\\s*(\\d+) ${word}$`, "m"))?.[1] ?? 0);
const passed = count("pass");
let failed = count("fail");
const skipped = count("skip");
// A non-zero exit without a counted failure (a crash, an unhandled error between tests) is a failure too.
if (code !== 0 && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(code !== 0 ? code : failed > 0 ? 1 : 0);
