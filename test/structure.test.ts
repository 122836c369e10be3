// The library's imports flow one way: entry points above the lesson, the lesson above training,
// training above evaluation (the loop scores the model on the validation split while it trains),
// those above prompts, data and the model, the runtime and general utilities at the bottom; the
// notebook display sits beside and is used only from the lesson and the entry points. An import
// that runs back up fails here, naming the file and what it imports. And no function in src/ is
// longer than a screen and a half (MAX_FUNCTION_LINES): a longer one is split where it reads better.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";
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
function sourceFiles(): string[] {
  return filesUnder(SRC).map((file) => path.relative(SRC, file));
}

/** The relative imports of a file (static, type-only and dynamic), as paths relative to src/. */
function relativeImports(file: string, text = fs.readFileSync(path.join(SRC, file), "utf8")): string[] {
  const specs = [...text.matchAll(/(?:from\s+|import\s*\(\s*|require\(\s*)"(\.{1,2}\/[^"]+)"/g)].map((m) => m[1]);
  return specs.map((s) => path.relative(SRC, path.resolve(path.dirname(path.join(SRC, file)), s)));
}

/** Every .ts file under a folder, as full paths. */
function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(full) : e.name.endsWith(".ts") ? [full] : [];
  });
}

/** The imports of a file that its folder may not make, as messages naming the file and the rule. */
function importViolations(file: string, text?: string): string[] {
  const from = file.split(path.sep)[0];
  if (from === "index.ts") return []; // the public entry may import anything
  return relativeImports(file, text)
    .filter((target) => target.split(path.sep)[0] !== from && !MAY_IMPORT[from]?.includes(target.split(path.sep)[0]))
    .map(
      (target) => `src/${file} imports src/${target} (${from} may import ${MAY_IMPORT[from]?.join(", ") || "nothing"})`,
    );
}

/** The longest a function may be, in lines from its declaration to its closing brace. */
const MAX_FUNCTION_LINES = 100;

/** The functions, methods and arrow functions of a file longer than MAX_FUNCTION_LINES. */
function longFunctions(
  file: string,
  text = fs.readFileSync(path.join(SRC, file), "utf8"),
): { name: string; line: number; lines: number }[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const found: { name: string; line: number; lines: number }[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && "body" in node && node.body) {
      const first = source.getLineAndCharacterOfPosition(node.getStart()).line;
      const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const named = node as ts.Node & { name?: ts.Node };
      const name =
        named.name?.getText(source) ??
        (ts.isVariableDeclaration(node.parent) ? node.parent.name.getText(source) : "(anonymous)");
      if (last - first + 1 > MAX_FUNCTION_LINES) found.push({ name, line: first + 1, lines: last - first + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
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
    const wrong = sourceFiles().flatMap((file) => importViolations(file));
    assert.deepEqual(wrong, [], `imports that run the wrong way:\n${wrong.join("\n")}`);
  });

  it("notices an import that runs back up (the check itself works)", () => {
    const text =
      'import { finetune } from "../train/finetune";\nimport type { GPT } from "./gpt";\nconst x = require("../lesson/experiment");\n';
    assert.deepEqual(importViolations(path.join("model", "probe.ts"), text), [
      `src/${path.join("model", "probe.ts")} imports src/${path.join("train", "finetune")} (model may import runtime, util)`,
      `src/${path.join("model", "probe.ts")} imports src/${path.join("lesson", "experiment")} (model may import runtime, util)`,
    ]);
  });

  it("keeps the tests to themselves: nothing in src/ or bench/ imports from test/", () => {
    const offenders = ["src", "bench"].flatMap((dir) =>
      filesUnder(path.join(ROOT, dir))
        .filter((file) => /from "(\.\.\/)+test\//.test(fs.readFileSync(file, "utf8")))
        .map((file) => path.relative(ROOT, file)),
    );
    assert.deepEqual(offenders, []);
  });

  it(`has no function longer than ${MAX_FUNCTION_LINES} lines`, () => {
    const long = sourceFiles().flatMap((file) =>
      longFunctions(file).map((f) => `src/${file}:${f.line} ${f.name}: ${f.lines} lines`),
    );
    assert.deepEqual(long, [], `functions to split:\n${long.join("\n")}`);
  });

  it("measures a function from its first line to its last (the check itself works)", () => {
    const body = Array.from({ length: MAX_FUNCTION_LINES - 1 }, (_, i) => `  const a${i} = ${i};`).join("\n");
    const text = `export function tooLong() {\n${body}\n  return 0;\n}\nconst fine = () => 1;\n`;
    assert.deepEqual(longFunctions("probe.ts", text), [{ name: "tooLong", line: 1, lines: MAX_FUNCTION_LINES + 2 }]);
  });
});
