#!/usr/bin/env bun
// Builds what the npm package ships for runtimes other than Bun: ESM JavaScript for Node ≥ 20 in dist/
// (the library, the engine, and the `pisr-webgpu` command), and the .d.ts declarations in dist/types/.
// Bun users get the TypeScript sources themselves (the "bun" export condition). Runs before `npm pack`.
//
//   bun scripts/build-package.ts

import { chmodSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../image/paths.ts";

const DIST = join(REPO_ROOT, "dist");
rmSync(DIST, { recursive: true, force: true });

const common = {
  target: "node" as const,
  format: "esm" as const,
  // installed next to the package; bun-webgpu is only imported under Bun (engine/webgpu/device.ts)
  external: ["pngjs", "jpeg-js", "bun-webgpu"],
  sourcemap: "none" as const,
};
const builds = [
  Bun.build({ ...common, entrypoints: [join(REPO_ROOT, "embed/index.ts"), join(REPO_ROOT, "engine/index.ts")], outdir: DIST, naming: "[dir]/[name].js", root: REPO_ROOT }),
  Bun.build({ ...common, entrypoints: [join(REPO_ROOT, "train/cli.ts")], outdir: DIST, naming: "cli.js" }),
];
for (const result of await Promise.all(builds)) {
  if (!result.success) {
    for (const log of result.logs) console.error(log);
    process.exit(1);
  }
}

// The command runs under Node (`npx pisr-webgpu`): its source's `#!/usr/bin/env bun` line (kept by the
// bundler, with a `// @bun` marker) becomes a Node shebang
const cli = join(DIST, "cli.js");
const body = readFileSync(cli, "utf8").replace(/^(#![^\n]*\n|\/\/ @bun[^\n]*\n)+/, "");
writeFileSync(cli, `#!/usr/bin/env node\n${body}`);
chmodSync(cli, 0o755);

// Declarations: the TypeScript compiler over the public entry points
const tsc = Bun.spawnSync([join(REPO_ROOT, "node_modules/.bin/tsc"), "-p", join(REPO_ROOT, "tsconfig.build.json")], { cwd: REPO_ROOT, stdout: "inherit", stderr: "inherit" });
if (tsc.exitCode !== 0) {
  console.error("build-package: tsc failed to emit declarations");
  process.exit(1);
}
console.log(`built ${DIST}: embed/index.js, engine/index.js, cli.js and types/`);
