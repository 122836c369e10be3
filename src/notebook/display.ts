// Rich outputs for notebook cells: figures, tables, markdown and live-updating displays.
//
// Inside the workbook's tslab kernel, each call sends one Jupyter display message carrying several
// MIME types at once (a figure: interactive plotly JSON + a static PNG + text). tslab's public API
// sends one MIME type per message, so the bundle goes through tslab's internal writer, reached only
// here. Outside a kernel (scripts, tests) the text form is printed instead. This folder is the only
// part of the library that knows about tslab.
import { figureToText, type PlotlyFigure } from "./figure";
import { chromiumPath, renderFigurePng } from "./png";

export const PLOTLY_MIME = "application/vnd.plotly.v1+json";

/** One Jupyter display: MIME type -> content (strings; binary content is base64). */
export interface DisplayBundle {
  data: Record<string, unknown>;
  metadata?: Record<string, unknown>;
}

/** Where displays go. displayId + update=true replaces an earlier display in place. */
export type DisplaySink = (bundle: DisplayBundle, displayId?: string, update?: boolean) => void;

type TslabWriter = (
  content: { data: Record<string, unknown>; metadata: Record<string, unknown>; transient: { display_id?: string } },
  update: boolean,
) => void;

/** tslab's writer for the cell now running, found among modules the kernel already loaded. */
function tslabWriter(): TslabWriter | undefined {
  const key = Object.keys(require.cache).find((k) => /[\\/]tslab[\\/]dist[\\/]jupyter\.js$/.test(k));
  const writer = key
    ? (require.cache[key]?.exports as { lastWriteDisplayData?: TslabWriter | null }).lastWriteDisplayData
    : undefined;
  return writer ?? undefined;
}

const kernelSink: DisplaySink = (bundle, displayId, update = false) => {
  const write = tslabWriter();
  if (!write) {
    const text = bundle.data["text/plain"];
    if (typeof text === "string") console.log(text);
    return;
  }
  write(
    { data: bundle.data, metadata: bundle.metadata ?? {}, transient: displayId ? { display_id: displayId } : {} },
    update,
  );
};

let sink: DisplaySink = kernelSink;

/** Sends displays elsewhere (tests capture them); undefined restores the kernel's. */
export function setDisplaySink(next: DisplaySink | undefined): void {
  sink = next ?? kernelSink;
}

/** True when running in the notebook kernel, where rich outputs render. */
export function inNotebook(): boolean {
  return tslabWriter() !== undefined;
}

export interface FigureOptions {
  /** Add a static PNG next to the interactive figure (default true; needs Chromium). */
  png?: boolean;
  width?: number;
  height?: number;
}

/** The bundle for a figure: interactive plotly JSON, a PNG when it can be drawn, and text. */
export async function figureBundle(fig: PlotlyFigure, options: FigureOptions = {}): Promise<DisplayBundle> {
  const width = options.width ?? 720;
  const height = options.height ?? 420;
  const layout = { width, height, ...fig.layout };
  const data: Record<string, unknown> = {
    [PLOTLY_MIME]: { data: fig.data, layout, config: { responsive: true, ...fig.config } },
    "text/plain": figureToText(fig),
  };
  if (options.png ?? true) {
    try {
      data["image/png"] = (await renderFigurePng({ ...fig, layout }, { width, height })).toString("base64");
    } catch (err) {
      // Said once, in notebook 00 and by setup; here only what is missing.
      const missing = chromiumPath() === undefined;
      data["text/plain"] += missing
        ? "\n(no static image: no Chromium here; notebook 00 says how to get one)"
        : `\n(no static image: ${(err as Error).message})`;
    }
  }
  return { data };
}

/** Shows a plotly figure: interactive in JupyterLab, a PNG elsewhere, text in a terminal. */
export async function showFigure(fig: PlotlyFigure, options: FigureOptions = {}): Promise<void> {
  sink(await figureBundle(fig, options));
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function cellText(v: unknown): string {
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : Number(v.toPrecision(4)).toString();
  return v === undefined || v === null ? "" : String(v);
}

/** A table as an HTML bundle with an aligned text twin. Columns default to the first row's keys. */
export function tableBundle(
  rows: readonly Record<string, unknown>[],
  options: { title?: string; columns?: string[] } = {},
): DisplayBundle {
  const columns = options.columns ?? Object.keys(rows[0] ?? {});
  const raw = rows.map((r) => columns.map((c) => cellText(r[c])));
  // The text form keeps one line per row (a newline inside a cell is shown as "\n");
  // the HTML form keeps the newlines themselves (white-space: pre-wrap).
  const cells = raw.map((row) => row.map((v) => v.replace(/\n/g, "\\n")));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i].length)));
  const line = (vals: string[]) =>
    vals
      .map((v, i) => v.padEnd(widths[i]))
      .join("  ")
      .trimEnd();
  const text = [options.title, line(columns), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)]
    .filter((l): l is string => l !== undefined)
    .join("\n");
  const html = [
    options.title ? `<p><b>${escapeHtml(options.title)}</b></p>` : "",
    "<table><thead><tr>",
    ...columns.map((c) => `<th>${escapeHtml(c)}</th>`),
    '</tr></thead><tbody style="white-space: pre-wrap; text-align: left">',
    ...raw.map((row) => `<tr>${row.map((v) => `<td>${escapeHtml(v)}</td>`).join("")}</tr>`),
    "</tbody></table>",
  ].join("");
  return { data: { "text/html": html, "text/plain": text } };
}

export function showTable(
  rows: readonly Record<string, unknown>[],
  options: { title?: string; columns?: string[] } = {},
): void {
  sink(tableBundle(rows, options));
}

export function showMarkdown(markdown: string): void {
  sink({ data: { "text/markdown": markdown, "text/plain": markdown } });
}

let liveCounter = 0;

/**
 * An output that is replaced in place on each update: progress text, a table or a chart that grows
 * while a long cell runs. In a terminal each update prints its text form.
 */
export class LiveDisplay {
  private readonly id = `workbook-live-${process.pid}-${++liveCounter}-${Date.now()}`;
  private shown = false;
  /** PLOTLY_MIME when the display now holds a plotly figure. */
  private lastMime: string | undefined;

  /** Replaces the display with text. */
  text(text: string): void {
    this.send({ data: { "text/plain": text } });
  }

  /** Replaces the display with a table. */
  table(rows: readonly Record<string, unknown>[], options: { title?: string; columns?: string[] } = {}): void {
    this.send(tableBundle(rows, options));
  }

  /** Replaces the display with a figure; png=false by default, as drawing one per update is slow. */
  async figure(fig: PlotlyFigure, options: FigureOptions = {}): Promise<void> {
    const bundle = await figureBundle(fig, { png: false, ...options });
    // JupyterLab hands an update of the same MIME type to the renderer already on screen, and
    // plotly's renderer ignores every model after its first graph: the chart would stay frozen at
    // its first point. An update of another MIME type in between (a blank block of the chart's
    // height, so nothing jumps) makes JupyterLab build a fresh plotly renderer for the real update.
    if (this.shown && this.lastMime === PLOTLY_MIME) {
      const height = (bundle.data[PLOTLY_MIME] as { layout: { height?: number } }).layout.height ?? 420;
      this.send({ data: { "text/html": `<div style="height: ${height}px"></div>`, "text/plain": "" } });
    }
    this.send(bundle);
  }

  private send(bundle: DisplayBundle): void {
    sink(bundle, this.id, this.shown);
    this.shown = true;
    this.lastMime = PLOTLY_MIME in bundle.data ? PLOTLY_MIME : undefined;
  }
}

export function liveDisplay(): LiveDisplay {
  return new LiveDisplay();
}
