// Where the project lives on disk, found the same way from a script, a test or the notebook kernel.
import fs from "node:fs";
import path from "node:path";

const PACKAGE_NAME = "instruction-finetuning-workbook";
let cached: string | undefined;

/** The repository root: the nearest folder above this file (or the working directory) whose package.json is ours. */
export function projectRoot(): string {
  if (cached) return cached;
  const starts = [typeof __dirname === "string" ? __dirname : undefined, process.cwd()].filter((s): s is string => !!s);
  for (const start of starts) {
    for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
      const pkg = path.join(dir, "package.json");
      if (fs.existsSync(pkg)) {
        try {
          if (JSON.parse(fs.readFileSync(pkg, "utf8")).name === PACKAGE_NAME) return (cached = dir);
        } catch {
          /* unreadable package.json: keep walking */
        }
      }
      if (path.dirname(dir) === dir) break;
    }
  }
  return (cached = process.cwd());
}

/** A path inside the repository: projectPath("data", "models") -> <root>/data/models. */
export function projectPath(...parts: string[]): string {
  return path.join(projectRoot(), ...parts);
}

/**
 * A path as a learner should read it: relative to the working directory (the repository, in a
 * notebook) when it is inside it, absolute otherwise.
 */
export function shownPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative === "" ? "." : relative.startsWith("..") || path.isAbsolute(relative) ? file : relative;
}

/** The Python of the project's virtual environment (.venv): JupyterLab, and the reference libraries. */
export const VENV_PYTHON = projectPath(".venv", "bin", "python");

/** The version of an installed npm package, or undefined when it is not installed. */
export function packageVersion(name: string): string | undefined {
  try {
    return JSON.parse(fs.readFileSync(projectPath("node_modules", name, "package.json"), "utf8")).version;
  } catch {
    return undefined;
  }
}
