#!/usr/bin/env node
// `npm run lesson`: runs every notebook in notebooks/ in reading order, headless, in the real kernel.
// Executed copies (with their outputs), summary.json and summary.md go to lesson-output/: summary.md
// has the time of each notebook and the comparison table notebook 4 writes (comparison.md). The first
// failing cell stops the run with its source and error, and the exit status is 1. The peak memory of
// the run (the runner, every kernel it starts and their Chromium, sampled twice a second) is printed
// and written to the summary too.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const OUT = path.join(ROOT, process.env.WORKBOOK_LESSON_OUT ?? "lesson-output");
const notebooks = fs
  .readdirSync(path.join(ROOT, "notebooks"))
  .filter((f) => f.endsWith(".ipynb"))
  .sort()
  .map((f) => path.join("notebooks", f));

console.log(
  `[lesson] running ${notebooks.length} notebook(s) headless; executed copies go to ${path.relative(ROOT, OUT)}/`,
);
/**
 * Memory of a process and all its descendants, from /proc (0 where there is none): each process's
 * proportional set size (PSS), so pages shared between processes (Chromium's helpers, shared
 * libraries) count once in all rather than once per process, as summed resident sizes would.
 */
function treeMemoryBytes(rootPid) {
  if (!fs.existsSync("/proc")) return 0;
  const children = new Map();
  for (const pid of fs.readdirSync("/proc").filter((e) => /^\d+$/.test(e))) {
    try {
      // The command name (field 2) is in parentheses and may hold spaces: split after its ")".
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(pid));
    } catch {
      // the process ended while we read it
    }
  }
  let total = 0;
  const stack = [rootPid];
  while (stack.length) {
    const pid = stack.pop();
    try {
      const rollup = fs.readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
      total += Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0) * 1024;
    } catch {
      // ended, or not readable
    }
    stack.push(...(children.get(pid) ?? []));
  }
  return total;
}

const t0 = Date.now();
const child = spawn(
  path.join(ROOT, ".venv", "bin", "python"),
  [path.join(ROOT, "kernel", "run_notebooks.py"), ...notebooks, "--out", OUT],
  { cwd: ROOT, stdio: "inherit", env: { ...process.env, WORKBOOK_LESSON_OUT: OUT } },
);
let peakBytes = 0;
const sampler = setInterval(() => {
  peakBytes = Math.max(peakBytes, treeMemoryBytes(child.pid));
}, 500);
const r = await new Promise((resolve) => child.on("close", (status) => resolve({ status })));
clearInterval(sampler);
const peak = `${(peakBytes / 2 ** 30).toFixed(2)} GiB`;
const summaryFile = path.join(OUT, "summary.json");
if (fs.existsSync(summaryFile)) {
  const summary = JSON.parse(fs.readFileSync(summaryFile, "utf8"));
  console.log("\n[lesson] notebook                                   seconds  result");
  for (const s of summary)
    console.log(
      `[lesson] ${path.basename(s.notebook).padEnd(42)} ${String(s.seconds).padStart(7)}  ${s.ok ? "ok" : "FAILED"}`,
    );
}
const total = (Date.now() - t0) / 1000;
console.log(`[lesson] total ${total.toFixed(0)} s; peak memory ${peak} (the runner, its kernels and Chromium, PSS)`);
const comparisonFile = path.join(OUT, "comparison.md");
if (r.status === 0 && fs.existsSync(comparisonFile)) {
  const comparison = fs.readFileSync(comparisonFile, "utf8");
  console.log(`\n[lesson] the comparison of notebook 4 (${path.relative(ROOT, comparisonFile)}):\n\n${comparison}`);
  const times = fs.existsSync(summaryFile) ? JSON.parse(fs.readFileSync(summaryFile, "utf8")) : [];
  fs.writeFileSync(
    path.join(OUT, "summary.md"),
    [
      "# The lesson, run headless",
      "",
      "| notebook | seconds |",
      "|---|---|",
      ...times.map((s) => `| ${path.basename(s.notebook)} | ${s.seconds} |`),
      `| total (with kernel start-up) | ${total.toFixed(0)} |`,
      "",
      `Peak memory: ${peak} (the runner, its kernels and the Chromium that draws static charts: proportional set sizes summed, sampled every 0.5 s).`,
      "",
      "## Each task on the test split",
      "",
      comparison,
    ].join("\n"),
  );
  console.log(`[lesson] wrote ${path.relative(ROOT, path.join(OUT, "summary.md"))}`);
}
process.exit(r.status ?? 1);
