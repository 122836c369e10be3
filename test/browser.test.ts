// A learner's run in a real browser: JupyterLab in headless Chromium opens a notebook with the
// workbook's kernel, runs all cells, and the outputs render, plotly charts as interactive plots.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { chromiumPath } from "../src/notebook/png";
import { CHROMIUM_FLAGS } from "../src/notebook/png";
import { KERNEL_NAME, ROOT, TEST_RUNS_DIR, notebookPaths, readNotebook, sourceOf } from "./support/notebooks";
import { BASE_MODEL_DIR, baseModelFingerprint } from "../src/lesson/base-model";
import { lessonHyperparameters } from "../src/lesson/hyperparameters";
import { runFolder } from "../src/lesson/runs";
import { startJupyterLab, type RunningLab } from "./support/jupyterlab";

const SHOTS = path.join(ROOT, "test-output", "browser");

/** A plotly output of the open notebook: what JupyterLab's model records and what plotly drew. */
interface ChartPoints {
  title: string;
  /** Points per trace in the output's figure, as the saved notebook records it. */
  recorded: number[];
  /** Points per trace plotly has drawn on the page (null: not drawn as a plot, e.g. still its PNG). */
  plotted: number[] | null;
}

/** Every plotly output of the notebook on show, with its recorded and plotted points per trace. */
async function chartPoints(page: Page): Promise<ChartPoints[]> {
  return page.evaluate((mime) => {
    const widget = (globalThis as any).jupyterapp.shell.currentWidget;
    const charts: ChartPoints[] = [];
    for (const cell of widget.content.widgets) {
      if (cell.model.type !== "code") continue;
      const area = cell.outputArea;
      for (let k = 0; k < area.model.length; k++) {
        const fig = area.model.get(k).data[mime];
        if (!fig) continue;
        // plotly.js draws into the renderer's own node and hangs the drawn traces on it (gd.data).
        const node = area.widgets[k]?.node.querySelector(".jp-RenderedPlotly") as any;
        charts.push({
          title: fig.layout?.title?.text ?? "",
          recorded: fig.data.map((t: any) => t.x.length),
          plotted: node?.data ? node.data.map((t: any) => t.x.length) : null,
        });
      }
    }
    return charts;
  }, "application/vnd.plotly.v1+json");
}

/** Runs every cell of the open notebook through JupyterLab's own command, as the Run menu does; `watch` is called every half second meanwhile. */
async function runAllCells(page: Page, watch?: () => Promise<void>): Promise<void> {
  await page.waitForFunction(
    () => {
      const app = (globalThis as any).jupyterapp;
      const kernel = app?.shell?.currentWidget?.sessionContext?.session?.kernel;
      return kernel && kernel.connectionStatus === "connected" && kernel.status === "idle";
    },
    undefined,
    { timeout: 120_000 },
  );
  // Not awaited inside the page: the command's promise settles only when every cell has run.
  await page.evaluate(() => {
    void (globalThis as any).jupyterapp.commands.execute("notebook:run-all-cells");
  });
  await page.waitForFunction(
    () => {
      const widget = (globalThis as any).jupyterapp.shell.currentWidget;
      return (
        widget.sessionContext.session.kernel.status === "busy" ||
        widget.content.widgets.some((c: any) => c.promptNode?.textContent?.trim() === "[*]:")
      );
    },
    undefined,
    { timeout: 60_000, polling: 100 },
  );
  await waitUntilDone(page, 20, watch);
}

/** Waits until the kernel is idle and no cell waits to run ([*]); `watch` is called every half second meanwhile. */
async function waitUntilDone(page: Page, minutes: number, watch?: () => Promise<void>): Promise<void> {
  const finished = () =>
    page.evaluate(() => {
      const widget = (globalThis as any).jupyterapp.shell.currentWidget;
      const cells = widget.content.widgets.filter((c: any) => c.model.type === "code");
      return (
        widget.sessionContext.session.kernel.status === "idle" &&
        cells.every((c: any) => c.promptNode?.textContent?.trim() !== "[*]:")
      );
    });
  const deadline = Date.now() + minutes * 60_000;
  while (!(await finished())) {
    assert.ok(Date.now() < deadline, `the notebook did not finish within ${minutes} minutes`);
    await watch?.();
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The text of every output (streams, errors, text/plain) of the code cell whose source contains `marker`. */
async function cellOutputText(page: Page, marker: string): Promise<string> {
  return page.evaluate((marker) => {
    const widget = (globalThis as any).jupyterapp.shell.currentWidget;
    const cell = widget.content.widgets.find(
      (c: any) => c.model.type === "code" && c.model.sharedModel.getSource().includes(marker),
    );
    if (!cell) throw new Error(`no cell contains ${marker}`);
    return cell.model.outputs
      .toJSON()
      .map((o: any) =>
        o.output_type === "stream"
          ? [o.text].flat().join("")
          : o.output_type === "error"
            ? `${o.ename}: ${o.evalue}`
            : [o.data?.["text/plain"] ?? ""].flat().join(""),
      )
      .join("\n");
  }, marker);
}

/** Closes the notebook and stops its kernel (also after a failed check), then closes the page. */
async function closeNotebook(page: Page): Promise<void> {
  await page
    .evaluate(async () => {
      const app = (globalThis as any).jupyterapp;
      await app.serviceManager.sessions.shutdownAll();
      app.shell.closeAll();
    })
    .catch(() => undefined);
  await page.close();
}

/** Runs code in the notebook's kernel, as a learner's new cell would, and returns what it printed. */
async function runInKernel(page: Page, code: string): Promise<string> {
  return page.evaluate(async (code) => {
    const kernel = (globalThis as any).jupyterapp.shell.currentWidget.sessionContext.session.kernel;
    let printed = "";
    const future = kernel.requestExecute({ code });
    future.onIOPub = (msg: any) => {
      if (msg.header.msg_type === "stream") printed += msg.content.text;
      if (msg.header.msg_type === "error") printed += `${msg.content.ename}: ${msg.content.evalue}`;
    };
    await future.done;
    return printed;
  }, code);
}

/** The live charts each notebook draws while a cell runs, and how many points each must end with. */
const LIVE_CHARTS: Record<string, (text: string) => Record<string, number[]>> = {
  "03-full-fine-tuning.ipynb": (text) => {
    const m = /: (\d+) steps, (\d+) evaluations, /.exec(text);
    assert.ok(m, "notebook 3 did not print its steps and evaluations");
    const [steps, evaluations] = [Number(m[1]), Number(m[2])];
    const t = /(\d+) tasks scored at each evaluation/.exec(text);
    assert.ok(t, "notebook 3 did not print how many tasks it scores");
    const tasks = Number(t[1]);
    return {
      "Fine-tuning: loss on the answer tokens": [steps, evaluations],
      // The mean of the tasks' scores, then one line per task.
      "Validation score by task (answers written by the model)": new Array(1 + tasks).fill(evaluations),
    };
  },
  "05-appendix-pretraining.ipynb": (text) => {
    const m = /(\d+) steps and (\d+) evaluations in /.exec(text);
    assert.ok(m, "notebook 5 did not print its steps and evaluations");
    return { "Pre-training loss": [Number(m[1]), Number(m[2])] };
  },
};
/** Charts each notebook must draw (by the start of their titles): the lesson's mechanics among them. */
const REQUIRED_CHARTS: Record<string, string[]> = {
  "03-full-fine-tuning.ipynb": [
    "The learning rate at each step",
    "Backpropagation: the gradient norm of each layer",
    "Fine-tuning: loss on the answer tokens",
  ],
  "04-evaluation.ipynb": ["The next token after the prompt", "Each task on the same test split"],
};
/** The chart watched while it grows: notebook 5 always pre-trains afresh (notebook 3 may reuse a run). */
const WATCHED = { notebook: "05-appendix-pretraining.ipynb", title: "Pre-training loss" };

describe("JupyterLab in a real browser", function () {
  this.timeout(30 * 60_000);
  let lab: RunningLab;
  let browser: Browser;

  before(async function () {
    const executablePath = chromiumPath();
    assert.ok(executablePath, "Chromium is missing: `npm test` installs it through `node kernel/setup.mjs --browser`");
    lab = await startJupyterLab(notebookPaths(), path.join(ROOT, "test-output", "browser-notebooks"));
    browser = await chromium.launch({
      executablePath,
      args: CHROMIUM_FLAGS,
    });
    fs.mkdirSync(SHOTS, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await lab?.stop();
  });

  it("serves only with the token, on 127.0.0.1, with the workbook kernel as default", async () => {
    const anonymous = await fetch(`${lab.url}/api/kernelspecs`);
    assert.equal(anonymous.status, 403, "JupyterLab answered without the token");
    const specs = (await (await fetch(`${lab.url}/api/kernelspecs?token=${lab.token}`)).json()) as {
      default: string;
      kernelspecs: Record<string, unknown>;
    };
    assert.equal(specs.default, KERNEL_NAME);
    assert.ok(specs.kernelspecs[KERNEL_NAME]);
    assert.match(lab.url, /^http:\/\/127\.0\.0\.1:/);
  });

  /** What each notebook must show once it has run, besides having no error and no stderr output. */
  const EXPECTED: Record<string, (text: string) => void> = {
    "00-check-your-setup.ipynb": (text) => {
      assert.match(text, /Backend in use/);
      assert.match(text, /GFLOP\/s/);
      assert.match(text, /Static images: drawn by /);
    },
    "01-zero-shot-and-few-shot.ipynb": (text) => {
      assert.match(text, /by number of examples in the prompt/);
      // The prompt shown and its words agree: how many examples were asked for and how many fit.
      assert.match(text, /asked for (\d+) examples; \1 fit the 256-token window/);
      // The conclusions written from the numbers (rendered Markdown: no asterisks).
      assert.match(text, /Zero-shot, \d+ of \d+ replies are not an answer/);
    },
    "02-the-instruction-dataset.ipynb": (text) => assert.match(text, /Splits/),
    "03-full-fine-tuning.ipynb": (text) => {
      assert.match(text, /Validation before training \(step 0\) and after each epoch/);
      assert.match(text, /the base model/);
      assert.match(text, /masked loss: [\d.]+ before, [\d.]+ after fine-tuning/);
      assert.match(text, /The run, planned/);
      assert.match(text, /As planned: \d+ steps of \d+ examples/);
      assert.match(text, /Same batch again: the loss is now [\d.]+ \(lower by/);
      assert.match(text, /Teacher forcing on /);
      assert.match(text, /Two trainings of the same model, measured/);
    },
    "04-evaluation.ipynb": (text) => {
      // The key numbers: the instruct model above the base model's best prompt on every task (the
      // notebook writes it from the numbers), the unseen phrasing's row, the judge, forgetting.
      assert.match(text, /sentiment-classification \(unseen phrasing\)/);
      assert.match(text, /agrees with people on [\d.]+% of \d+ real test reviews/);
      assert.match(text, /bits per character/);
      assert.match(text, /cross-entropy of each model at this position/);
      assert.match(text, /Each task over seeds \d+, \d+, \d+/);
      assert.match(text, /[+-]\d+\.\d points/);
      // The summary's words, not the cell's source that holds them in quotes.
      assert.doesNotMatch(text, /Here tuning did not help\.(?!")/);
    },
    "05-appendix-pretraining.ipynb": (text) => assert.match(text, /perplexity/i),
  };

  for (const file of notebookPaths()) {
    const name = path.basename(file);
    it(`runs ${name}: no error output, interactive charts, the key numbers`, async () => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      try {
        const errors: string[] = [];
        page.on("pageerror", (e) => errors.push(String(e)));
        await page.goto(`${lab.url}/lab/tree/${name}?token=${lab.token}`);
        // JupyterLab restores its last layout: earlier notebooks may sit in hidden tabs, so look only
        // inside the notebook panel on show.
        const panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)");
        await panel.locator(".jp-Cell").first().waitFor({ timeout: 120_000 });
        const kernelName = await page.waitForFunction(
          () => (globalThis as any).jupyterapp?.shell?.currentWidget?.sessionContext?.session?.kernel?.name,
          undefined,
          { timeout: 120_000 },
        );
        assert.equal(await kernelName.jsonValue(), KERNEL_NAME);

        // While the cells run, sample how many training points the watched live chart shows.
        const seen: number[] = [];
        const polls: string[] = [];
        await runAllCells(
          page,
          name !== WATCHED.notebook
            ? undefined
            : async () => {
                // A learner watches the training cell: keep its chart in view (JupyterLab lays out cells lazily).
                await page.evaluate(() =>
                  (globalThis as any).document
                    .querySelector(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-RenderedPlotly")
                    ?.scrollIntoView(),
                );
                const charts = await chartPoints(page);
                polls.push(JSON.stringify(charts.map((c) => [c.title, c.recorded, c.plotted])));
                const chart = charts.find((c) => c.title === WATCHED.title);
                if (chart?.plotted && chart.plotted[0] !== seen[seen.length - 1]) seen.push(chart.plotted[0]);
              },
        );
        const stderr = await panel
          .locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
          .allTextContents();
        assert.deepEqual(stderr, [], `cells wrote to stderr:\n${stderr.join("\n")}`);
        assert.equal(await panel.locator('[data-mime-type="application/vnd.jupyter.error"]').count(), 0);

        // JupyterLab's plotly renderer first shows the figure's PNG and swaps in the interactive plot
        // (plotly.js SVG with hover and zoom) when the mouse comes over it, as a learner's would.
        const chartOutputs = panel.locator(".jp-OutputArea-output.jp-RenderedPlotly");
        const chartCount = await chartOutputs.count();
        for (let i = 0; i < chartCount; i++) {
          const output = chartOutputs.nth(i);
          await output.scrollIntoViewIfNeeded(); // JupyterLab draws cells lazily as they scroll into view
          await output.hover(); // over the PNG: the renderer replaces it with the live plot
          const plot = output.locator(".plot-container"); // plotly.js draws into the output node itself
          await plot.waitFor({ timeout: 60_000 });
          assert.match((await output.getAttribute("class")) ?? "", /js-plotly-plot/);
          assert.ok((await plot.locator(".main-svg").count()) >= 1, `chart ${i + 1} has no SVG layer`);
          assert.ok((await plot.locator(".trace").count()) >= 1, `chart ${i + 1} has no trace drawn`);
          assert.equal(
            await plot.locator(".modebar").count(),
            1,
            `chart ${i + 1} has no plotly mode bar: not interactive`,
          );
          if (i === chartCount - 1) {
            await page.screenshot({ path: path.join(SHOTS, name.replace(".ipynb", ".png")), fullPage: false });
            await output.screenshot({ path: path.join(SHOTS, name.replace(".ipynb", "-chart.png")) });
          }
        }
        if (chartCount === 0)
          await page.screenshot({ path: path.join(SHOTS, name.replace(".ipynb", ".png")), fullPage: false });
        assert.ok(chartCount >= 1, "no plotly chart rendered");
        // textContent, not innerText: it includes cells JupyterLab has not laid out (they render lazily).
        const text = (await panel.locator(".jp-Notebook").textContent()) ?? "";
        EXPECTED[name]?.(text);

        // Every chart on the page shows what the notebook records (a live chart that froze would not),
        // and each live chart holds a point per step and per evaluation of its run.
        const charts = await chartPoints(page);
        for (const chart of charts)
          assert.deepEqual(
            chart.plotted,
            chart.recorded,
            `chart "${chart.title}": plotted points differ from the recorded figure`,
          );
        for (const title of REQUIRED_CHARTS[name] ?? [])
          assert.ok(
            charts.some((c) => c.title.startsWith(title) && c.plotted !== null),
            `no interactive chart "${title}..." (charts: ${charts.map((c) => c.title).join(" | ")})`,
          );
        for (const [title, points] of Object.entries(LIVE_CHARTS[name]?.(text) ?? {})) {
          const chart = charts.find((c) => c.title === title);
          assert.ok(chart, `no live chart "${title}"`);
          assert.deepEqual(chart.plotted, points, `live chart "${title}": points per trace`);
        }
        if (name === WATCHED.notebook) {
          const final = LIVE_CHARTS[name](text)[WATCHED.title][0];
          assert.ok(
            seen.length >= 3 && seen.every((n, i) => i === 0 || n > seen[i - 1]) && seen[0] < final,
            `the live chart "${WATCHED.title}" did not grow on the page while training ran: saw ${JSON.stringify(seen)} training points; ` +
              `the charts while it ran:\n${[...new Set(polls)].slice(0, 20).join("\n")}`,
          );
        }
        assert.deepEqual(errors, [], `page errors: ${errors.join("\n")}`);
      } finally {
        // Close the notebook and stop its kernel, so the next one starts alone (and memory is freed),
        // also after a failed check: a kernel left running would slow the next notebook down.
        await closeNotebook(page);
      }
    });
  }

  // Kernel -> Interrupt during notebook 3's training (one epoch, so the test stays short): the cell
  // stops at a step with a plain message, the kernel and its variables live on, nothing trains in
  // the background, and running the cell again resumes at that step and finishes.
  it("interrupting notebook 3's training keeps the kernel and its variables, and the cell resumes where it stopped", async () => {
    const original = notebookPaths().find((f) => path.basename(f).startsWith("03-"))!;
    const nb = readNotebook(original);
    const hpCell = nb.cells.find((c) => sourceOf(c).includes("wb.lessonHyperparameters({"))!;
    assert.ok(sourceOf(hpCell).includes("epochs: 4,"), 'the hyperparameters cell has no "epochs: 4,"');
    hpCell.source = sourceOf(hpCell).replace("epochs: 4,", "epochs: 1,");
    const name = "03-interrupted.ipynb";
    fs.writeFileSync(path.join(lab.notebookDir, name), JSON.stringify(nb));
    // The run this notebook makes: trained from scratch here, whatever ran before.
    const folder = runFolder(lessonHyperparameters({ epochs: 1 }), baseModelFingerprint(BASE_MODEL_DIR), TEST_RUNS_DIR);
    fs.rmSync(folder, { recursive: true, force: true });
    const savedStep = () => {
      const file = path.join(folder, "latest", "state.json");
      return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as { step: number }).step : undefined;
    };
    const TRAINING = "wb.ensureFinetuned(";

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      await page.goto(`${lab.url}/lab/tree/${name}?token=${lab.token}`);
      await page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell").first().waitFor({ timeout: 120_000 });
      const kernelId = () =>
        page.evaluate(
          () => (globalThis as any).jupyterapp.shell.currentWidget.sessionContext.session.kernel.id as string,
        );
      await page.waitForFunction(
        () => (globalThis as any).jupyterapp?.shell?.currentWidget?.sessionContext?.session?.kernel?.status === "idle",
        undefined,
        { timeout: 120_000 },
      );
      const kernelBefore = await kernelId();
      await page.evaluate(() => void (globalThis as any).jupyterapp.commands.execute("notebook:run-all-cells"));
      // Interrupt once the run has written its first checkpoint (step 100), as the learner did.
      const deadline = Date.now() + 10 * 60_000;
      while (savedStep() === undefined) {
        assert.ok(Date.now() < deadline, "no checkpoint within 10 minutes of Run All");
        await new Promise((r) => setTimeout(r, 250));
      }
      await page.evaluate(() => (globalThis as any).jupyterapp.commands.execute("kernelmenu:interrupt"));
      await waitUntilDone(page, 2);

      const showTrainingCell = () =>
        page.evaluate((marker) => {
          const widget = (globalThis as any).jupyterapp.shell.currentWidget;
          const index = widget.content.widgets.findIndex((c: any) => c.model.sharedModel.getSource().includes(marker));
          widget.content.activeCellIndex = index;
          widget.content.widgets[index].node.scrollIntoView();
        }, TRAINING);
      await showTrainingCell();
      await page.screenshot({ path: path.join(SHOTS, "03-interrupted.png"), fullPage: false });
      const stopped = await cellOutputText(page, TRAINING);
      const m =
        /Interrupted: fine-tuning stopped after step (\d+) of 144 \(epoch [\d.]+ of 1\)\. The run so far is saved in (\S+)\. Run the same cell \(or command\) again and it resumes from step \1/.exec(
          stopped,
        );
      assert.ok(m, `the training cell does not say where it stopped and how to go on:\n${stopped}`);
      const step = Number(m[1]);
      assert.ok(step >= 100 && step < 144, `stopped at step ${step}`);
      assert.equal(
        m[2],
        path.relative(ROOT, path.join(folder, "latest")),
        "the checkpoint's path as the learner reads it",
      );
      assert.doesNotMatch(stopped, /\n\s+at /, "a stack trace under the message");
      // Nothing goes on training after the cell has ended: the checkpoint stays at the interrupted step.
      assert.equal(savedStep(), step);
      await new Promise((r) => setTimeout(r, 3000));
      assert.equal(savedStep(), step, "training went on after the interrupt");
      // The same kernel, with every variable the notebook made.
      assert.equal(await kernelId(), kernelBefore, "the kernel was restarted");
      assert.equal(
        (await runInKernel(page, "console.log(hp.epochs, data.splits.train.length > 0, typeof base.model)")).trim(),
        "1 true object",
      );
      assert.doesNotMatch(lab.log(), /restarting kernel/);

      // Run the training cell again, and the cells below it.
      await page.evaluate((marker) => {
        const widget = (globalThis as any).jupyterapp.shell.currentWidget;
        widget.content.activeCellIndex = widget.content.widgets.findIndex((c: any) =>
          c.model.sharedModel.getSource().includes(marker),
        );
        void (globalThis as any).jupyterapp.commands.execute("notebook:run-all-below");
      }, TRAINING);
      await page.waitForFunction(
        () => (globalThis as any).jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === "busy",
        undefined,
        { timeout: 60_000, polling: 100 },
      );
      await waitUntilDone(page, 10);
      const resumed = await cellOutputText(page, TRAINING);
      assert.match(resumed, new RegExp(`Resumed the run saved in \\S+ at step ${step} of 144`));
      assert.match(resumed, /Trained in \S+: 144 steps, 2 evaluations/);
      assert.equal(savedStep(), 144);
      const panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)");
      const stderr = await panel
        .locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
        .allTextContents();
      assert.deepEqual(stderr, [], `cells wrote to stderr after the resume:\n${stderr.join("\n")}`);
      assert.equal(await kernelId(), kernelBefore);
      await showTrainingCell();
      await page.screenshot({ path: path.join(SHOTS, "03-resumed.png"), fullPage: false });
    } finally {
      // The same clean-up as above, so a later test starts with no kernel running.
      await closeNotebook(page);
    }
  });
});
