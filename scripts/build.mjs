// Compiles Duban's TypeScript into dist/ once, so `npm start` runs plain JavaScript instead of compiling
// every module at every start (tsx). esbuild (a dependency of tsx, pinned by the lock file) takes ~0.1 s:
// `npm start` runs it each time, so dist/ is never stale. node_modules stay outside the bundle; the
// lazily imported parts (channels, reports, the playground) stay separate chunks (--splitting), loaded
// only when used.
import { build } from "esbuild";
import { rmSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
rmSync(path.join(root, "dist"), { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: { main: "src/main.ts", replay: "src/replay/cli.ts" },
  outdir: "dist",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  sourcemap: true,
  logLevel: "warning",
});
