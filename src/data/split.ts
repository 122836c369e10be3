// Splitting an instruction dataset into train, validation and test: seeded, stratified by label, and
// by source record, so a review never shows up in two splits under different templates.
//
//   const splits = splitDataset(examples, { fractions: { train: 0.8, validation: 0.1, test: 0.1 }, seed: 0 });
//   showTable(splits.report);        // sizes and label balance per split
//   splitDataset(examples, { seed: 0, heldOutTemplates: ["sentiment-liked-yes-no"] });
//   // that template appears only in test: does the model follow an instruction it never saw?
//
// How: the source records of each label (in order of first appearance) are shuffled with
// new SeededRandom(seed).fork("split"), labels in sorted order, and cut at the fractions (cumulative
// rounding, so each label's counts add up). Every example goes where its source record went.
// Examples of held-out templates are dropped from train and validation and kept in test.
import { SeededRandom } from "../runtime/random";
import { defineConfig, refuseUnknownKeys } from "../util/config";

/** What splitting needs of an example (InstructionExample has it). */
export interface Splittable {
  sourceId: string;
  label: string;
  templateId: string;
}

export interface SplitFractions {
  /** Each in [0, 1); together 1. */
  train: number;
  validation: number;
  test: number;
}

export interface SplitConfig {
  /** Shares of the source records per split (default 0.8 / 0.1 / 0.1). */
  fractions: SplitFractions;
  /** The same seed gives the same split. */
  seed: number | string;
  /** Template ids whose examples appear only in test (default none). */
  heldOutTemplates: readonly string[];
}

const SPLIT_CONFIG = defineConfig<SplitConfig>("SplitConfig", {
  fractions: { train: 0.8, validation: 0.1, test: 0.1 },
  seed: 0,
  heldOutTemplates: [],
}, {
  fractions: { type: "object" },
  seed: { type: "seed" },
  heldOutTemplates: { type: "list", of: "string" },
}, (c, fail) => {
  refuseUnknownKeys("SplitConfig.fractions", c.fractions, SPLIT_NAMES, "split");
  for (const name of SPLIT_NAMES) {
    const f = c.fractions[name];
    if (typeof f !== "number" || !(f >= 0 && f < 1)) fail("fractions", `${name} must be in [0, 1), got ${f}.`);
  }
  const sum = c.fractions.train + c.fractions.validation + c.fractions.test;
  if (Math.abs(sum - 1) > 1e-9) {
    fail("fractions", `must add up to 1, got ${c.fractions.train} + ${c.fractions.validation} + ${c.fractions.test} = ${Number(sum.toFixed(6))}.`);
  }
});

export type SplitName = "train" | "validation" | "test";
export const SPLIT_NAMES: readonly SplitName[] = ["train", "validation", "test"];

export interface DatasetSplits<T extends Splittable> {
  train: T[];
  validation: T[];
  test: T[];
  /** The config used, defaults filled in. */
  config: SplitConfig;
  /** Rows for showTable: examples, source records, templates and label balance per split. */
  report: Record<string, string | number>[];
}

/** A full, checked SplitConfig from a partial one: unknown keys and bad fractions throw a ConfigError naming the field. */
export function splitConfig(partial: Partial<SplitConfig> = {}): SplitConfig {
  // Given fractions replace the default ones whole (make() does not merge inside fields): mixing
  // them would hide a missing split.
  return SPLIT_CONFIG.make(partial);
}

/** Splits examples by source record; see the header for how. */
export function splitDataset<T extends Splittable>(examples: readonly T[], partial: Partial<SplitConfig> = {}): DatasetSplits<T> {
  const config = splitConfig(partial);
  if (examples.length === 0) throw new Error("splitDataset: there are no examples to split.");

  // Source records by label; one record's examples must agree on its label.
  const labelOf = new Map<string, string>();
  const byLabel = new Map<string, string[]>();
  for (const e of examples) {
    const known = labelOf.get(e.sourceId);
    if (known === undefined) {
      labelOf.set(e.sourceId, e.label);
      const list = byLabel.get(e.label);
      if (list) list.push(e.sourceId); else byLabel.set(e.label, [e.sourceId]);
    } else if (known !== e.label) {
      throw new Error(`splitDataset: the examples of source record ${e.sourceId} have two labels, "${known}" and "${e.label}"; an example's label is its record's label.`);
    }
  }

  const templates = [...new Set(examples.map((e) => e.templateId))];
  const heldOut = new Set(config.heldOutTemplates);
  for (const id of heldOut) {
    if (!templates.includes(id)) throw new Error(`splitDataset: held-out template "${id}" has no examples; the examples' templates are ${templates.join(", ")}.`);
  }
  if (heldOut.size > 0 && templates.every((t) => heldOut.has(t))) throw new Error("splitDataset: every template is held out, which leaves nothing to train on.");

  const rng = new SeededRandom(config.seed).fork("split");
  const splitOf = new Map<string, SplitName>();
  const f = config.fractions;
  for (const label of [...byLabel.keys()].sort()) {
    const ids = rng.shuffle(byLabel.get(label)!);
    const n = ids.length;
    const trainEnd = Math.round(n * f.train);
    const validationEnd = Math.max(trainEnd, Math.min(n, Math.round(n * (f.train + f.validation))));
    ids.forEach((id, i) => splitOf.set(id, i < trainEnd ? "train" : i < validationEnd ? "validation" : "test"));
  }

  const out: Record<SplitName, T[]> = { train: [], validation: [], test: [] };
  for (const e of examples) {
    const split = splitOf.get(e.sourceId)!;
    if (split !== "test" && heldOut.has(e.templateId)) continue;
    out[split].push(e);
  }
  return { ...out, config, report: splitReport(out) };
}

function share(count: number, total: number): string {
  return `${count} (${total === 0 ? "0.0" : ((100 * count) / total).toFixed(1)}%)`;
}

/**
 * Rows for a table: per split (and in total) the examples, source records, templates, and each label's
 * count of examples with its share of the split: { split: "train", examples: 792, sources: 792,
 * templates: 3, negative: "396 (50.0%)", positive: "396 (50.0%)" }.
 */
export function splitReport<T extends Splittable>(splits: Record<SplitName, readonly T[]>): Record<string, string | number>[] {
  const all = SPLIT_NAMES.flatMap((s) => splits[s]);
  const labels = [...new Set(all.map((e) => e.label))].sort();
  const row = (name: string, list: readonly T[]): Record<string, string | number> => {
    const r: Record<string, string | number> = {
      split: name,
      examples: list.length,
      sources: new Set(list.map((e) => e.sourceId)).size,
      templates: new Set(list.map((e) => e.templateId)).size,
    };
    for (const label of labels) r[label] = share(list.filter((e) => e.label === label).length, list.length);
    return r;
  };
  return [...SPLIT_NAMES.map((s) => row(s, splits[s])), row("total", all)];
}
