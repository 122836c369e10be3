#!/usr/bin/env node
// `npm start`: JupyterLab on notebooks/, with the workbook's kernel as the default, on 127.0.0.1 only.
// Jupyter's token authentication stays on: open the URL with ?token=... that it prints.
// Extra arguments go to `jupyter lab` (e.g. `npm start -- --port 9999 --no-browser`).
// WORKBOOK_NOTEBOOK_DIR serves another folder (the browser test serves a scratch copy).
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const jupyter = path.join(ROOT, ".venv", "bin", "jupyter");
const notebookDir = process.env.WORKBOOK_NOTEBOOK_DIR ?? path.join(ROOT, "notebooks");

export function jupyterLabArgs(extra = []) {
  const args = [
    "lab",
    `--ServerApp.root_dir=${notebookDir}`,
    "--ServerApp.ip=127.0.0.1",
    "--MappingKernelManager.default_kernel_name=instruct-workbook",
    // JupyterLab's "news" pop-up fetches from the internet; there is no internet here.
    "--LabApp.news_url=",
    "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
  ];
  if (typeof process.getuid === "function" && process.getuid() === 0) args.push("--allow-root");
  return [...args, ...extra];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const child = spawn(jupyter, jupyterLabArgs(process.argv.slice(2)), { cwd: ROOT, stdio: "inherit" });
  child.on("error", (err) => {
    console.error(`[start] could not start JupyterLab (${err.message}); run \`npm run setup\` first.`);
    process.exit(1);
  });
  for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
  child.on("exit", (code) => process.exit(code ?? 0));
}
