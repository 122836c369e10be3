// The Python reference environment (PyTorch, transformers, scikit-learn in .venv) is a prerequisite
// of the parity tests, not an option: when it is missing they fail and say how to install it. Only
// the documented opt-out WORKBOOK_NO_REFERENCE=1 (for a machine that cannot install PyTorch) skips them.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { VENV_PYTHON } from "./notebooks";

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
