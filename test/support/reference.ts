// The Python reference environment (PyTorch, transformers, scikit-learn in .venv) is a prerequisite
// of the parity tests, not an option: when it is missing they fail and say how to install it. Only
// the documented opt-out WORKBOOK_NO_REFERENCE=1 (for a machine that cannot install PyTorch) skips
// them. Every test that runs a reference script goes through runReference (or requireReference),
// so that rule holds everywhere.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { VENV_PYTHON } from "../../src/runtime/paths";
import { ROOT } from "./notebooks";

/** Whether .venv's Python imports these modules. */
export function pythonHas(modules: string[]): boolean {
  return (
    fs.existsSync(VENV_PYTHON) &&
    spawnSync(VENV_PYTHON, ["-c", `import ${modules.join(", ")}`], { encoding: "utf8" }).status === 0
  );
}

/**
 * Returns normally when the modules import; skips the test (or hook) under WORKBOOK_NO_REFERENCE=1;
 * otherwise throws an error that says how to fix it.
 */
export function requireReference(context: Mocha.Context, modules: string[]): void {
  if (pythonHas(modules)) return;
  if (process.env.WORKBOOK_NO_REFERENCE === "1") context.skip();
  throw new Error(
    `the reference environment lacks ${modules.join(", ")}: run \`node kernel/setup.mjs --reference\` ` +
      "(npm test does), or set WORKBOOK_NO_REFERENCE=1 to skip the reference checks on a machine without PyTorch.",
  );
}

/**
 * Runs a reference script (a path relative to the repository) with .venv's Python, after
 * requireReference(modules), and returns what it printed; a failing script fails the test with its stderr.
 */
export function runReference(context: Mocha.Context, modules: string[], script: string, args: string[] = []): string {
  requireReference(context, modules);
  const r = spawnSync(VENV_PYTHON, [path.join(ROOT, script), ...args], {
    cwd: ROOT,
    encoding: "utf8",
    maxBuffer: 256 << 20,
  });
  assert.equal(r.status, 0, `${script} ${args[0] ?? ""} failed:\n${r.stderr}`);
  return r.stdout;
}
