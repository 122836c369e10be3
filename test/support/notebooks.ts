// Helpers shared by the notebook tests: the notebooks in reading order and how to run them.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { VENV_PYTHON } from "../../src/runtime/paths";

export const ROOT = path.resolve(__dirname, "..", "..");
export const KERNEL_NAME = "instruct-workbook";

// Fine-tuning runs and the lesson summary made by the tests go under test-output/, never into the
// learner's runs/ and lesson-output/. Set before any kernel or JupyterLab starts: they inherit it.
export const TEST_RUNS_DIR = path.join(ROOT, "test-output", "runs");
process.env.WORKBOOK_RUNS_DIR ??= TEST_RUNS_DIR;
process.env.WORKBOOK_LESSON_OUT ??= path.join(ROOT, "test-output", "lesson-output");

export interface NotebookCell {
  cell_type: "code" | "markdown" | "raw";
  id?: string;
  source: string | string[];
  outputs?: { output_type: string; name?: string; text?: string | string[]; data?: Record<string, unknown> }[];
  execution_count?: number | null;
}

export interface Notebook {
  cells: NotebookCell[];
  metadata: { kernelspec?: { name?: string; display_name?: string } };
}

/** notebooks/*.ipynb in reading order (their names start with a number). */
export function notebookPaths(): string[] {
  const dir = path.join(ROOT, "notebooks");
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".ipynb"))
    .sort()
    .map((f) => path.join(dir, f));
}

export function readNotebook(file: string): Notebook {
  return JSON.parse(fs.readFileSync(file, "utf8"));
}

export const sourceOf = (cell: NotebookCell) => (Array.isArray(cell.source) ? cell.source.join("") : cell.source);
export const textOf = (t: string | string[] | undefined) => (Array.isArray(t) ? t.join("") : (t ?? ""));

/** Executes notebooks with kernel/run_notebooks.py; returns its exit status and output. */
export function runNotebooks(
  files: string[],
  outDir: string,
  env: Record<string, string> = {},
): { status: number | null; output: string } {
  const r = spawnSync(VENV_PYTHON, [path.join(ROOT, "kernel", "run_notebooks.py"), ...files, "--out", outDir], {
    cwd: ROOT,
    encoding: "utf8",
    maxBuffer: 64 << 20,
    env: { ...process.env, ...env },
  });
  return { status: r.status, output: `${r.stdout}\n${r.stderr}` };
}
