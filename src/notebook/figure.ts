// Plotly figures as plain data: built anywhere (script, test, notebook), shown by display.ts.
//
// A figure is the JSON that plotly.js draws ({data, layout}); JupyterLab's plotly renderer draws it
// interactively from the application/vnd.plotly.v1+json output, and png.ts turns it into an image.

/** One trace: a line, bar or heatmap series (any plotly.js trace attributes are allowed). */
export interface PlotlyTrace {
  type?: string;
  name?: string;
  x?: readonly unknown[];
  y?: readonly unknown[];
  z?: readonly unknown[][];
  mode?: string;
  [attribute: string]: unknown;
}

export interface PlotlyFigure {
  data: PlotlyTrace[];
  layout?: Record<string, unknown>;
  config?: Record<string, unknown>;
}

function titleOf(fig: PlotlyFigure): string {
  const t = fig.layout?.title;
  if (typeof t === "string") return t;
  if (t && typeof t === "object" && typeof (t as { text?: unknown }).text === "string")
    return (t as { text: string }).text;
  return "figure";
}

function preview(values: readonly unknown[] | undefined, max = 8): string {
  if (!values) return "";
  const fmt = (v: unknown) => (typeof v === "number" ? Number(v.toPrecision(4)).toString() : String(v));
  const shown = values.slice(0, max).map(fmt).join(", ");
  return `[${shown}${values.length > max ? `, ... (${values.length} values)` : ""}]`;
}

/** A plain-text rendering of the figure: its title and each trace's values (for logs and terminals). */
export function figureToText(fig: PlotlyFigure): string {
  const lines = [`${titleOf(fig)} (${fig.data.length} trace${fig.data.length === 1 ? "" : "s"})`];
  for (const [i, trace] of fig.data.entries()) {
    lines.push(`  ${trace.name ?? `trace ${i + 1}`} (${trace.type ?? "scatter"})`);
    if (trace.x) lines.push(`    x: ${preview(trace.x)}`);
    if (trace.y) lines.push(`    y: ${preview(trace.y)}`);
    if (trace.z) lines.push(`    z: ${trace.z.length} rows`);
  }
  return lines.join("\n");
}
