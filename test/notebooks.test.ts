// Every notebook runs top to bottom in the real kernel; committed notebooks carry no outputs.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { KERNEL_NAME, ROOT, notebookPaths, readNotebook, runNotebooks, sourceOf, textOf } from "./support/notebooks";

const OUT = path.join(ROOT, "test-output", "notebooks");

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
});

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
          assert.ok(!(o.output_type === "stream" && o.name === "stderr"), `stderr from: ${sourceOf(cell)}\n${textOf(o.text)}`);
        }
      }
    });
  }

  it("00-check-your-setup shows the native backend, a table and an interactive chart", () => {
    const executed = readNotebook(path.join(OUT, "00-check-your-setup.ipynb"));
    const outputs = executed.cells.flatMap((c) => c.outputs ?? []);
    const stdout = outputs.filter((o) => o.output_type === "stream").map((o) => textOf(o.text)).join("");
    if (process.env.WORKBOOK_ALLOW_FALLBACK !== "1") assert.match(stdout, /backend: tensorflow - native TensorFlow/);
    const figure = outputs.find((o) => o.data?.["application/vnd.plotly.v1+json"]);
    assert.ok(figure, "no plotly figure output");
    assert.ok(typeof figure.data?.["image/png"] === "string", "the figure has no PNG");
    assert.ok(outputs.some((o) => String(o.data?.["text/html"] ?? "").includes("<table>")), "no table output");
  });

  it("reports the failing cell and its stderr when a notebook breaks", function () {
    this.timeout(5 * 60 * 1000);
    const broken = path.join(ROOT, "test-output", "broken-notebook.ipynb");
    fs.mkdirSync(path.dirname(broken), { recursive: true });
    fs.writeFileSync(broken, JSON.stringify({
      nbformat: 4, nbformat_minor: 5, metadata: { kernelspec: { name: KERNEL_NAME, display_name: "ts", language: "typescript" } },
      cells: [
        { cell_type: "code", id: "a", metadata: {}, execution_count: null, outputs: [], source: "const x: number = 1;" },
        { cell_type: "code", id: "b", metadata: {}, execution_count: null, outputs: [], source: "throw new Error(\"boom from cell two\");" },
        { cell_type: "code", id: "c", metadata: {}, execution_count: null, outputs: [], source: "console.log(\"never runs\");" },
      ],
    }));
    const { status, output } = runNotebooks([broken], path.join(ROOT, "test-output", "broken-run"));
    assert.equal(status, 1);
    assert.match(output, /FAILED: .*broken-notebook\.ipynb, code cell 2/);
    assert.match(output, /----- cell source -----\nthrow new Error\("boom from cell two"\);/);
    assert.match(output, /----- cell stderr -----[\s\S]*boom from cell two/);
    assert.doesNotMatch(output, /never runs/);
  });
});
