// Typed doors into danfojs-node: rows in, a DataFrame out, and back again.
//
//   const df = reviewFrame(records);  // a danfojs DataFrame with the review schema (reviews.ts)
//   df.head(3).print();               // everything danfojs offers works on it
//   const rows = frameRecords(df);    // plain typed rows again, e.g. for the prompt templates
//
// danfojs-node's own typings take and return `any` for data; these functions are the only place the
// library touches that, so callers get typed rows. danfojs is loaded on first use (it takes a few
// seconds), so importing the workbook stays quick; it shares the workbook's one tfjs (see README).
import type { DataFrame } from "danfojs-node";
import { REVIEW_COLUMNS, type ReviewRecord } from "./reviews";

export type { DataFrame };

/** One row of a DataFrame as a plain object; missing cells (NaN, null) are left out. */
export type FrameRow = Record<string, string | number | boolean>;

type Danfo = typeof import("danfojs-node");
let danfo: Danfo | undefined;

/** danfojs-node, required on first use. */
export function danfojs(): Danfo {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use: it takes seconds
  return (danfo ??= require("danfojs-node") as Danfo);
}

/** Numeric columns of the review schema; every other column is text. */
const NUMERIC_COLUMNS = new Set<string>(["rating"]);

/**
 * A DataFrame of the given columns from plain rows. Text columns are declared "string" so that danfojs
 * never reads a review such as "10/10" or "5" as a number; `rating` is "int32".
 */
export function rowsToFrame(rows: readonly Record<string, unknown>[], columns: readonly string[]): DataFrame {
  const dfd = danfojs();
  if (rows.length === 0) return new dfd.DataFrame([], { columns: columns.slice() });
  const data: Record<string, unknown[]> = {};
  for (const c of columns) data[c] = rows.map((r) => r[c] ?? (NUMERIC_COLUMNS.has(c) ? NaN : ""));
  return new dfd.DataFrame(data, { columns: columns.slice(), dtypes: columns.map((c) => (NUMERIC_COLUMNS.has(c) ? "int32" : "string")) });
}

/** The review schema's columns that these records use, in schema order. */
export function reviewColumns(records: readonly ReviewRecord[]): string[] {
  return REVIEW_COLUMNS.filter((c) => c === "sourceId" || c === "text" || c === "label" || records.some((r) => r[c] !== undefined));
}

/** A DataFrame with the review schema (columns in schema order; optional ones only when used). */
export function reviewFrame(records: readonly ReviewRecord[], columns: readonly string[] = reviewColumns(records)): DataFrame {
  return rowsToFrame(records as unknown as readonly Record<string, unknown>[], columns);
}

/** The DataFrame's rows as plain objects, in order; NaN and null cells are left out of each row. */
export function frameRecords(df: DataFrame): FrameRow[] {
  const columns = df.columns as string[];
  const values = df.values as unknown[][];
  return values.map((row) => {
    const out: FrameRow = {};
    columns.forEach((c, j) => {
      const v = row[j];
      if (v === null || v === undefined || (typeof v === "number" && Number.isNaN(v))) return;
      if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") out[c] = v;
      else out[c] = String(v);
    });
    return out;
  });
}
