// Every notebook runs top to bottom in the real kernel; committed notebooks carry no outputs.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import {
  KERNEL_NAME,
  ROOT,
  notebookPaths,
  readNotebook,
  runNotebooks,
  sourceOf,
  textOf,
  type Notebook,
} from "./support/notebooks";
import { DEFAULT_LESSON_HYPERPARAMETERS } from "../src/lesson/hyperparameters";

const OUT = path.join(ROOT, "test-output", "notebooks");

/** Everything a notebook's cells printed or displayed, as text. */
function outputText(nb: Notebook): string {
  return nb.cells
    .flatMap((c) => c.outputs ?? [])
    .map((o) =>
      o.output_type === "stream" ? textOf(o.text) : textOf(o.data?.["text/plain"] as string | string[] | undefined),
    )
    .join("\n");
}

describe("notebooks as committed", () => {
  for (const file of notebookPaths()) {
    const name = path.basename(file);
    it(`${name}: no outputs, the workbook kernel, imports the library in its first code cell`, () => {
      const nb = readNotebook(file);
      assert.equal(nb.metadata.kernelspec?.name, KERNEL_NAME);
      for (const cell of nb.cells.filter((c) => c.cell_type === "code")) {
        assert.deepEqual(cell.outputs, [], `a code cell has outputs: ${sourceOf(cell).slice(0, 60)}`);
        assert.equal(cell.execution_count, null);
      }
      const firstCode = nb.cells.find((c) => c.cell_type === "code");
      assert.match(sourceOf(firstCode!), /import \* as wb from "\.\/src\/index";/);
      assert.equal(nb.cells[0].cell_type, "markdown", "a notebook opens with prose");
    });
  }

  // Notebook 3's hyperparameters cell shows every value a learner may change; notebook 2 builds the
  // dataset notebook 3 trains on. Both must show the library's defaults (src/lesson/hyperparameters.ts),
  // which notebook 4 assumes when notebook 3 has not recorded a run.
  for (const [prefix, everyField] of [
    ["02-", false],
    ["03-", true],
  ] as const) {
    it(`${prefix}: the hyperparameters cell shows the library's defaults${everyField ? ", every training field included" : ""}`, () => {
      const file = notebookPaths().find((f) => path.basename(f).startsWith(prefix))!;
      const shown = hyperparametersCellValues(readNotebook(file));
      const defaults = DEFAULT_LESSON_HYPERPARAMETERS as unknown as Record<string, unknown>;
      const differing = Object.entries(shown)
        .filter(([key, value]) => JSON.stringify(value) !== JSON.stringify(defaults[key]))
        .map(
          ([key, value]) =>
            `${key}: the notebook shows ${JSON.stringify(value)}, the library's default is ${JSON.stringify(defaults[key])}`,
        );
      assert.deepEqual(differing, [], `${path.basename(file)} and src/lesson/hyperparameters.ts disagree`);
      if (everyField) {
        const missing = Object.keys(defaults).filter(
          (key) => !(key in shown) && !["dataset", "dataFile", "dataColumns", "templateMode", "fewShot"].includes(key),
        );
        assert.deepEqual(missing, [], "the hyperparameters cell leaves out fields a learner may change");
      }
    });
  }

  it("reads a hyperparameters cell's values (the check above can fail)", () => {
    const cell = (source: string): Notebook =>
      ({
        cells: [{ cell_type: "code", source, outputs: [], execution_count: null, metadata: {} }],
        metadata: {},
      }) as unknown as Notebook;
    assert.deepEqual(
      hyperparametersCellValues(
        cell('const hp = wb.lessonHyperparameters({\n  epochs: 3,  // passes\n  templates: ["a", "b"],\n});'),
      ),
      {
        epochs: 3,
        templates: ["a", "b"],
      },
    );
    assert.throws(() => hyperparametersCellValues(cell("const x = 1;")), /no hyperparameters cell/);
  });
});

/** The object literal a notebook passes to wb.lessonHyperparameters, evaluated (comments and all). */
function hyperparametersCellValues(nb: Notebook): Record<string, unknown> {
  const source = nb.cells.map(sourceOf).find((s) => s.includes("wb.lessonHyperparameters({"));
  if (!source) throw new Error("no hyperparameters cell (wb.lessonHyperparameters({ ... })) in this notebook");
  const start = source.indexOf("wb.lessonHyperparameters(") + "wb.lessonHyperparameters(".length;
  const end = source.indexOf("});", start) + 1;
  return new Function(`return (${source.slice(start, end)});`)() as Record<string, unknown>;
}

describe("notebooks run in the kernel", () => {
  for (const file of notebookPaths()) {
    const name = path.basename(file);
    it(`${name} runs top to bottom without an error or stderr output`, function () {
      this.timeout(30 * 60 * 1000);
      const { status, output } = runNotebooks([file], OUT);
      assert.equal(status, 0, `notebook failed:\n${output}`);
      const executed = readNotebook(path.join(OUT, name));
      for (const cell of executed.cells) {
        for (const o of cell.outputs ?? []) {
          assert.notEqual(o.output_type, "error", `error output in: ${sourceOf(cell)}`);
          assert.ok(
            !(o.output_type === "stream" && o.name === "stderr"),
            `stderr from: ${sourceOf(cell)}\n${textOf(o.text)}`,
          );
        }
      }
    });
  }

  it("00-check-your-setup shows the native backend, a table and an interactive chart", () => {
    const executed = readNotebook(path.join(OUT, "00-check-your-setup.ipynb"));
    const outputs = executed.cells.flatMap((c) => c.outputs ?? []);
    const stdout = outputs
      .filter((o) => o.output_type === "stream")
      .map((o) => textOf(o.text))
      .join("");
    if (process.env.WORKBOOK_ALLOW_FALLBACK !== "1") assert.match(stdout, /backend: tensorflow - native TensorFlow/);
    const figure = outputs.find((o) => o.data?.["application/vnd.plotly.v1+json"]);
    assert.ok(figure, "no plotly figure output");
    assert.ok(typeof figure.data?.["image/png"] === "string", "the figure has no PNG");
    assert.ok(
      outputs.some((o) => String(o.data?.["text/html"] ?? "").includes("<table>")),
      "no table output",
    );
  });

  it("04-evaluation puts the instruct model above the base model on every task, and saves the per-task comparison", () => {
    const text = outputText(readNotebook(path.join(OUT, "04-evaluation.ipynb")));
    const saved = JSON.parse(
      fs.readFileSync(path.join(process.env.WORKBOOK_LESSON_OUT!, "comparison.json"), "utf8"),
    ) as {
      results: { group: string; method: string; scoring: string; score: number; metric: string }[];
      judge: { accuracy: number };
      forgetting: { base: number; instruct: number };
    };
    const written = (group: string, method: string) =>
      saved.results.find((r) => r.group === group && r.method === method && r.scoring === "generation");
    const groups = [...new Set(saved.results.map((r) => r.group))];
    for (const task of [
      "sentiment-classification (trained phrasings)",
      "sentiment-classification (unseen phrasing)",
      "review-topic",
      "review-generation",
    ])
      assert.ok(groups.includes(task), `no "${task}" rows in comparison.json (groups: ${groups.join(", ")})`);
    for (const group of groups) {
      const tuned = written(group, "instruct model")!;
      // The base model's best prompt, written or by likelihood, zero- or few-shot.
      const base = Math.max(
        ...saved.results.filter((r) => r.group === group && r.method.startsWith("base ")).map((r) => r.score),
      );
      assert.ok(
        tuned.score > base,
        `${group}: the instruct model's ${tuned.score} is not above the base model's best ${base}`,
      );
      // The table the learner sees carries the same figure.
      const shown = tuned.metric === "rouge-l" ? tuned.score.toFixed(3) : `${(100 * tuned.score).toFixed(1)}%`;
      assert.ok(text.includes(shown), `${group}: ${shown} is not in the notebook's output`);
    }
    assert.ok(saved.judge.accuracy > 0.6, `the judge agrees with people on only ${saved.judge.accuracy}`);
    assert.ok(Number.isFinite(saved.forgetting.base) && Number.isFinite(saved.forgetting.instruct));
    assert.match(text, /bits per character/);
  });

  it("03-full-fine-tuning follows its hyperparameters cell: fewer epochs, another seed and learning rate change the results", function () {
    this.timeout(20 * 60 * 1000);
    const file = notebookPaths().find((f) => path.basename(f).startsWith("03-"))!;
    const nb = readNotebook(file);
    const cell = nb.cells.find((c) => c.cell_type === "code" && sourceOf(c).includes("wb.lessonHyperparameters({"))!;
    let source = sourceOf(cell);
    for (const [from, to] of [
      ["epochs: 4,", "epochs: 1,"],
      ["seed: 0,", "seed: 1,"],
      ["learningRate: 5e-4,", "learningRate: 1e-3,"],
    ]) {
      assert.ok(source.includes(from), `the hyperparameters cell has no "${from}"`);
      source = source.replace(from, to);
    }
    cell.source = source;
    const dir = path.join(ROOT, "test-output", "hyperparameter-edit");
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    const edited = path.join(dir, path.basename(file));
    fs.writeFileSync(edited, JSON.stringify(nb));
    const { status, output } = runNotebooks([edited], path.join(dir, "executed"), {
      WORKBOOK_RUNS_DIR: path.join(dir, "runs"),
    });
    assert.equal(status, 0, `edited notebook failed:\n${output}`);

    const before = outputText(readNotebook(path.join(OUT, path.basename(file))));
    const after = outputText(readNotebook(path.join(dir, "executed", path.basename(file))));
    const steps = (text: string) => Number(/: (\d+) steps, \d+ evaluations, [\d,]+ tokens/.exec(text)?.[1]);
    assert.ok(steps(after) > 0, "notebook 3 did not print its steps");
    assert.equal(steps(before), 4 * steps(after), `steps: ${steps(before)} with 4 epochs, ${steps(after)} with 1`);
    const TABLE = "Validation before training (step 0) and after each epoch";
    const tableLines = (text: string) => text.split(TABLE)[1].split("\n");
    const epochRows = (text: string) =>
      tableLines(text).filter((l) => /^\d+(\.\d+)?\s+\d+\s+after \d+ steps\s+[\d.]+/.test(l.trim())).length;
    assert.equal(epochRows(before), 4);
    assert.equal(epochRows(after), 1);
    // Both validation tables start from the base model at step 0 (scored on each seed's own validation split).
    const baseRow = (text: string) => tableLines(text).find((l) => /^0\s+0\s+the base model\s+-/.test(l.trim()));
    assert.ok(baseRow(before) && baseRow(after), "no step-0 row (the base model) in the validation table");
    // The first epoch's validation row (its losses and accuracy) depends on the seed and the learning rate.
    const firstEpoch = (text: string) => tableLines(text).find((l) => /^1\s+\d+\s+after \d+ steps/.test(l.trim()));
    assert.ok(firstEpoch(before) && firstEpoch(after));
    assert.notEqual(firstEpoch(after), firstEpoch(before), "the first epoch's validation results did not change");
    const lossAfter = (text: string) => /masked loss: [\d.]+ before, ([\d.]+) after/.exec(text)?.[1];
    assert.notEqual(lossAfter(after), lossAfter(before), "the fine-tuned loss did not change");
    assert.ok(
      fs.readdirSync(path.join(dir, "runs")).some((f) => f.startsWith("finetune-")),
      "the edited run was not saved under its own folder",
    );
  });

  it("reports the failing cell and its stderr when a notebook breaks", function () {
    this.timeout(5 * 60 * 1000);
    const broken = path.join(ROOT, "test-output", "broken-notebook.ipynb");
    fs.mkdirSync(path.dirname(broken), { recursive: true });
    fs.writeFileSync(
      broken,
      JSON.stringify({
        nbformat: 4,
        nbformat_minor: 5,
        metadata: { kernelspec: { name: KERNEL_NAME, display_name: "ts", language: "typescript" } },
        cells: [
          {
            cell_type: "code",
            id: "a",
            metadata: {},
            execution_count: null,
            outputs: [],
            source: "const x: number = 1;",
          },
          {
            cell_type: "code",
            id: "b",
            metadata: {},
            execution_count: null,
            outputs: [],
            source: 'throw new Error("boom from cell two");',
          },
          {
            cell_type: "code",
            id: "c",
            metadata: {},
            execution_count: null,
            outputs: [],
            source: 'console.log("never runs");',
          },
        ],
      }),
    );
    const { status, output } = runNotebooks([broken], path.join(ROOT, "test-output", "broken-run"));
    assert.equal(status, 1);
    assert.match(output, /FAILED: .*broken-notebook\.ipynb, code cell 2/);
    assert.match(output, /----- cell source -----\nthrow new Error\("boom from cell two"\);/);
    assert.match(output, /----- cell stderr -----[\s\S]*boom from cell two/);
    assert.doesNotMatch(output, /never runs/);
  });
});
