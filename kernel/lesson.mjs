#!/usr/bin/env node
// `npm run lesson`: runs every notebook in notebooks/ in reading order, headless, in the real kernel.
// Executed copies (with their outputs) and summary.json go to lesson-output/; the first failing
// cell stops the run with its source and error, and the exit status is 1.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const OUT = path.join(ROOT, process.env.WORKBOOK_LESSON_OUT ?? "lesson-output");
const notebooks = fs.readdirSync(path.join(ROOT, "notebooks")).filter((f) => f.endsWith(".ipynb")).sort()
  .map((f) => path.join("notebooks", f));

console.log(`[lesson] running ${notebooks.length} notebook(s) headless; executed copies go to ${path.relative(ROOT, OUT)}/`);
const t0 = Date.now();
const r = spawnSync(path.join(ROOT, ".venv", "bin", "python"), [path.join(ROOT, "kernel", "run_notebooks.py"), ...notebooks, "--out", OUT],
  { cwd: ROOT, stdio: "inherit" });
const summaryFile = path.join(OUT, "summary.json");
if (fs.existsSync(summaryFile)) {
  const summary = JSON.parse(fs.readFileSync(summaryFile, "utf8"));
  console.log("\n[lesson] notebook                                   seconds  result");
  for (const s of summary) console.log(`[lesson] ${path.basename(s.notebook).padEnd(42)} ${String(s.seconds).padStart(7)}  ${s.ok ? "ok" : "FAILED"}`);
}
console.log(`[lesson] total ${((Date.now() - t0) / 1000).toFixed(0)} s`);
process.exit(r.status ?? 1);
