// The library's imports flow one way: entry points above the lesson, the lesson above training and
// evaluation, those above prompts, data and the model, the runtime and general utilities at the
// bottom; the notebook display sits beside and is used only from the lesson and the entry points.
// An import that runs back up fails here, naming the file and what it imports.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { ROOT } from "./support/notebooks";

const SRC = path.join(ROOT, "src");

/** Each folder of src/ and the folders it may import from (besides itself). */
const MAY_IMPORT: Record<string, string[]> = {
  util: [],
  runtime: ["util"],
  data: ["runtime", "util"],
  model: ["runtime", "util"],
  notebook: ["runtime", "util"],
  prompts: ["data", "model", "runtime", "util"],
  eval: ["prompts", "data", "model", "runtime", "util"],
  train: ["eval", "prompts", "data", "model", "runtime", "util"],
  lesson: ["train", "eval", "prompts", "data", "model", "notebook", "runtime", "util"],
  cli: ["lesson", "train", "eval", "prompts", "data", "model", "notebook", "runtime", "util"],
};

/** Every .ts file under src/, relative to src/. */
function sourceFiles(dir = SRC): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(full) : e.name.endsWith(".ts") ? [path.relative(SRC, full)] : [];
  });
}

/** The relative imports of a file (static, type-only and dynamic), as paths relative to src/. */
function relativeImports(file: string, text = fs.readFileSync(path.join(SRC, file), "utf8")): string[] {
  const specs = [...text.matchAll(/(?:from\s+|import\s*\(\s*|require\(\s*)"(\.{1,2}\/[^"]+)"/g)].map((m) => m[1]);
  return specs.map((s) => path.relative(SRC, path.resolve(path.dirname(path.join(SRC, file)), s)));
}

describe("library structure", () => {
  it("has a rule for every folder of src/", () => {
    const folders = fs
      .readdirSync(SRC, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
    assert.deepEqual(folders, Object.keys(MAY_IMPORT).sort(), "a new folder needs its place in MAY_IMPORT");
  });

  it("imports only downwards", () => {
    const wrong: string[] = [];
    for (const file of sourceFiles()) {
      const from = file.split(path.sep)[0];
      if (from === "index.ts") continue; // the public entry may import anything
      for (const target of relativeImports(file)) {
        const to = target.split(path.sep)[0];
        if (to !== from && !MAY_IMPORT[from]?.includes(to))
          wrong.push(
            `src/${file} imports src/${target} (${from} may import ${MAY_IMPORT[from]?.join(", ") || "nothing"})`,
          );
      }
    }
    assert.deepEqual(wrong, [], `imports that run the wrong way:\n${wrong.join("\n")}`);
  });

  it("notices an import that runs back up (the check itself works)", () => {
    const text =
      'import { finetune } from "../train/finetune";\nimport type { GPT } from "./gpt";\nconst x = require("../lesson/experiment");\n';
    const bad = relativeImports("model/probe.ts", text).filter(
      (t) => t.split(path.sep)[0] !== "model" && !MAY_IMPORT.model.includes(t.split(path.sep)[0]),
    );
    assert.deepEqual(bad, [path.join("train", "finetune"), path.join("lesson", "experiment")]);
  });
});
