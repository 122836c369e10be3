// A learner's run in a real browser: JupyterLab in headless Chromium opens a notebook with the
// workbook's kernel, runs all cells, and the outputs render, plotly charts as interactive plots.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { chromiumPath } from "../src/index";
import { KERNEL_NAME, ROOT, notebookPaths } from "./support/notebooks";
import { startJupyterLab, type RunningLab } from "./support/jupyterlab";

const SHOTS = path.join(ROOT, "test-output", "browser");

/** Runs every cell of the open notebook through JupyterLab's own command, as the Run menu does. */
async function runAllCells(page: Page): Promise<void> {
  await page.waitForFunction(() => {
    const app = (globalThis as any).jupyterapp;
    const kernel = app?.shell?.currentWidget?.sessionContext?.session?.kernel;
    return kernel && kernel.connectionStatus === "connected" && kernel.status === "idle";
  }, undefined, { timeout: 120_000 });
  await page.evaluate(() => (globalThis as any).jupyterapp.commands.execute("notebook:run-all-cells"));
  await page.waitForFunction(() => {
    const widget = (globalThis as any).jupyterapp.shell.currentWidget;
    const cells = widget.content.widgets.filter((c: any) => c.model.type === "code");
    return widget.sessionContext.session.kernel.status === "idle" &&
      cells.every((c: any) => c.promptNode?.textContent?.trim() !== "[*]:");
  }, undefined, { timeout: 20 * 60_000, polling: 500 });
}

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
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-quic"],
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
    const specs = await (await fetch(`${lab.url}/api/kernelspecs?token=${lab.token}`)).json() as { default: string; kernelspecs: Record<string, unknown> };
    assert.equal(specs.default, KERNEL_NAME);
    assert.ok(specs.kernelspecs[KERNEL_NAME]);
    assert.match(lab.url, /^http:\/\/127\.0\.0\.1:/);
  });

  it("runs 00-check-your-setup: no error output, the plotly chart is interactive", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(`${lab.url}/lab/tree/00-check-your-setup.ipynb?token=${lab.token}`);
    await page.waitForSelector(".jp-Notebook .jp-Cell", { timeout: 120_000 });
    const kernelName = await page.waitForFunction(
      () => (globalThis as any).jupyterapp?.shell?.currentWidget?.sessionContext?.session?.kernel?.name, undefined, { timeout: 120_000 });
    assert.equal(await kernelName.jsonValue(), KERNEL_NAME);

    await runAllCells(page);
    const stderr = await page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]').allTextContents();
    assert.deepEqual(stderr, [], `cells wrote to stderr:\n${stderr.join("\n")}`);
    assert.equal(await page.locator('[data-mime-type="application/vnd.jupyter.error"]').count(), 0);

    // JupyterLab's plotly renderer first shows the figure's PNG and swaps in the interactive plot
    // (plotly.js SVG with hover and zoom) when the mouse comes over it, as a learner's would.
    const output = page.locator(".jp-OutputArea-output.jp-RenderedPlotly").first();
    await output.waitFor({ state: "attached", timeout: 60_000 });
    await output.scrollIntoViewIfNeeded(); // JupyterLab draws cells lazily as they scroll into view
    await output.hover(); // over the PNG: the renderer replaces it with the live plot
    const plot = output.locator(".plot-container"); // plotly.js draws into the output node itself
    await plot.waitFor({ timeout: 60_000 });
    assert.match(await output.getAttribute("class") ?? "", /js-plotly-plot/);
    assert.ok(await plot.locator(".main-svg").count() >= 1, "the plot has no SVG layer");
    assert.ok(await plot.locator(".scatterlayer .trace").count() >= 1, "the plot has no trace drawn");
    assert.equal(await plot.locator(".modebar").count(), 1, "no plotly mode bar: not interactive");
    const text = await page.locator(".jp-Notebook").innerText();
    assert.match(text, /Backend in use/);
    assert.match(text, /GFLOP\/s/);
    await page.screenshot({ path: path.join(SHOTS, "00-check-your-setup.png"), fullPage: false });
    await output.screenshot({ path: path.join(SHOTS, "00-check-your-setup-chart.png") });
    assert.deepEqual(errors, [], `page errors: ${errors.join("\n")}`);
    await page.close();
  });
});
