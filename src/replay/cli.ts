// npm run replay -- <config.yaml> <script.jsonl> [--out <dir>]
import { readFileSync } from "node:fs";
import path from "node:path";
import { ConfigError, loadConfig } from "../config/load.ts";
import { parseScript, replay, ScriptError } from "./harness.ts";

const args = process.argv.slice(2);
const outAt = args.indexOf("--out");
const outDir = outAt >= 0 ? args[outAt + 1] : undefined;
const [configPath, scriptPath] = args.filter((_, i) => outAt < 0 || (i !== outAt && i !== outAt + 1));
if (!configPath || !scriptPath || (outAt >= 0 && !outDir)) {
  console.error("用法：npm run replay -- <配置.yaml> <脚本.jsonl> [--out <目录>]");
  process.exit(2);
}
try {
  const cfg = loadConfig(configPath);
  const script = parseScript(readFileSync(scriptPath, "utf8"));
  await replay({ cfg, script, scriptDir: path.dirname(path.resolve(scriptPath)), outDir: outDir && path.resolve(outDir), write: (l) => process.stdout.write(l + "\n") });
  process.exit(0);
} catch (e) {
  if (e instanceof ConfigError || e instanceof ScriptError) {
    console.error(e.message);
    process.exit(2);
  }
  console.error(e);
  process.exit(1);
}
