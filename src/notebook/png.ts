// Static PNG images of plotly figures, drawn by plotly.js in a headless Chromium.
//
// plotly.js needs a browser (it does not run in Node), so we keep one headless Debian chromium
// per process, started on first use and closed after a minute without work. The PNG goes into each
// figure's output so it shows wherever the interactive renderer is missing (GitHub, nbconvert).
import fs from "node:fs";
import type { Browser } from "playwright-core";
import type { PlotlyFigure } from "./figure";
import { projectPath } from "../runtime/paths";

/** The browser closes after this long without a render (WORKBOOK_PNG_IDLE_MS changes it, for tests). */
const idleCloseMs = () => Number(process.env.WORKBOOK_PNG_IDLE_MS ?? 60_000);
/** How the workbook starts Chromium here: headless, and nothing that reaches the network. */
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-quic",
];

let browser: Promise<Browser> | undefined;
let idleTimer: NodeJS.Timeout | undefined;
/** Renders in progress: the idle close waits for them. */
let rendering = 0;

/**
 * The Chromium binary to use: WORKBOOK_CHROMIUM when set (WORKBOOK_CHROMIUM=none turns images off),
 * else Debian's. Undefined when there is none.
 */
export function chromiumPath(): string | undefined {
  const asked = process.env.WORKBOOK_CHROMIUM;
  if (asked) return fs.existsSync(asked) ? asked : undefined;
  return ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => fs.existsSync(p));
}

/** How to get static images where there is no Chromium (kernel/setup.mjs says the same when npm run lesson starts). */
export const STATIC_IMAGES_HOW_TO =
  "run `npm run setup -- --browser` (it installs Debian's chromium with apt-get), or set WORKBOOK_CHROMIUM to a Chromium binary, then run the notebook again";

/** Whether charts get a static PNG beside the interactive figure here, in one plain sentence. */
export function staticImageStatus(): { available: boolean; sentence: string } {
  const found = chromiumPath();
  if (found)
    return {
      available: true,
      sentence: `Static images: drawn by ${found}; every chart also shows as a picture wherever the notebook is read.`,
    };
  if (process.env.WORKBOOK_CHROMIUM === "none")
    return {
      available: false,
      sentence: "Static images: off (WORKBOOK_CHROMIUM=none); charts are interactive in JupyterLab only.",
    };
  return {
    available: false,
    sentence:
      "Static images: none, because there is no Chromium here. Charts are interactive in JupyterLab, but a copy of a " +
      `notebook read elsewhere (lesson-output/, GitHub) shows no picture of them. To get them, ${STATIC_IMAGES_HOW_TO}.`,
  };
}

async function getBrowser(): Promise<Browser> {
  if (!browser) {
    const executablePath = chromiumPath();
    if (!executablePath) throw new Error(`no Chromium found: ${STATIC_IMAGES_HOW_TO}`);
    const { chromium } = await import("playwright-core");
    // handleSIGINT: false. By default Playwright answers SIGINT by closing the browser and then
    // exiting the whole process with code 130; Jupyter's Kernel -> Interrupt sends SIGINT to the
    // kernel, so that default killed the kernel a few seconds after every interrupt. An interrupt
    // stops the work (runtime/interrupt.ts); the browser lives on (Playwright starts it in its own
    // process group, so the interrupt does not reach it).
    browser = chromium.launch({ executablePath, args: CHROMIUM_FLAGS, handleSIGINT: false });
    browser.catch(() => {
      browser = undefined;
    });
  }
  return browser;
}

function scheduleClose(): void {
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = setTimeout(() => {
    if (rendering === 0) void closePngRenderer();
  }, idleCloseMs());
  idleTimer.unref(); // never keeps a script alive
}

/** Closes the headless browser now (scripts call this before exiting; it also closes itself when idle). */
export async function closePngRenderer(): Promise<void> {
  const b = browser;
  browser = undefined;
  if (idleTimer) clearTimeout(idleTimer);
  if (b) await (await b).close().catch(() => undefined);
}

/** Draws the figure with plotly.js and returns PNG bytes. Throws with the reason when it cannot. */
export async function renderFigurePng(fig: PlotlyFigure, size = { width: 720, height: 420 }): Promise<Buffer> {
  // A cell that computed for longer than the idle time leaves the close timer overdue: it would fire
  // at the first await below and close the browser under this render. Stop it now, before any await.
  if (idleTimer) clearTimeout(idleTimer);
  rendering += 1;
  let page: Awaited<ReturnType<Browser["newPage"]>> | undefined;
  try {
    page = await (await getBrowser()).newPage();
    await page.addScriptTag({ path: projectPath("node_modules", "plotly.js-dist-min", "plotly.min.js") });
    const dataUrl = await page.evaluate(
      async ({ fig, size }) => {
        // This function runs inside the browser page (tslab compiles without the DOM types, hence `any`).
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        const page = globalThis as unknown as { Plotly: any; document: any };
        const Plotly = page.Plotly;
        const div = page.document.createElement("div");
        page.document.body.appendChild(div);
        await Plotly.newPlot(
          div,
          fig.data,
          { ...fig.layout, width: size.width, height: size.height },
          { staticPlot: true },
        );
        return Plotly.toImage(div, { format: "png", width: size.width, height: size.height }) as Promise<string>;
      },
      { fig, size },
    );
    return Buffer.from(dataUrl.slice(dataUrl.indexOf(",") + 1), "base64");
  } finally {
    await page?.close().catch(() => undefined);
    rendering -= 1;
    scheduleClose();
  }
}
