// From raw reviews to an instruction dataset: every record rendered through the prompt templates.
//
//   const reviews = loadEmbeddedDataset("amazon");
//   showTable(previewTemplates(frameRecords(reviews)[0], ["sentiment-classify", "sentiment-liked-yes-no", "review-write-sentiment"]));
//   const examples = buildInstructionDataset(reviews, { templates: listTemplates({ collection: "sentiment" }), seed: 0 });
//   // [{ prompt: "Classify this review: ...\nSentiment:", completion: " positive", label: "positive",
//   //    templateId: "sentiment-classify", sourceId: "amazon:2", task: "sentiment-classification" }, ...]
//
// mode "one-per-record" (default) gives each record one template drawn with the seed, so the dataset
// has as many examples as records and every phrasing appears; "all-per-record" renders every template
// on every record (more examples, each review seen under several instructions). Either way the
// examples keep their record's sourceId and label, so splitDataset keeps a record's examples together.
import { frameRecords, type DataFrame } from "../data/frame";
import { SeededRandom } from "../runtime/random";
import { notify } from "../util/notices";
import { resolveTemplates } from "./registry";
import { renderTemplate, TemplateRenderError, type PromptTemplate, type TemplateRecord } from "./template";

/** One instruction example: what the model reads, what it must write, and where it came from. */
export interface InstructionExample {
  /** The rendered instruction; it never ends with whitespace. */
  prompt: string;
  /** The target; it starts with one space (prompt + completion is the full text). */
  completion: string;
  /** The source record's label (sentiment): what splits are stratified by. */
  label: string;
  templateId: string;
  /** The source record; all examples of one record stay in one split. */
  sourceId: string;
  task: string;
}

export interface InstructionDatasetConfig {
  /** Template ids or templates. */
  templates: readonly (string | PromptTemplate)[];
  /** "one-per-record" (default): one seeded random template per record; "all-per-record": every template. */
  mode?: "one-per-record" | "all-per-record";
  /** Seed of the template draw (default 0). */
  seed?: number | string;
  /** Leave out a record a template cannot render (an empty title, a neutral label for a yes/no
   * template) instead of stopping with the error. Default false. */
  skipUnrenderable?: boolean;
  /** Called for each record left out; without it, one console line sums them up. */
  onSkip?: (error: TemplateRenderError) => void;
}

const CONFIG_KEYS = ["templates", "mode", "seed", "skipUnrenderable", "onSkip"];

/** The records of a DataFrame or an array, each with a string sourceId and label, sourceIds unique. */
function sourceRecords(
  data: DataFrame | readonly TemplateRecord[],
): (TemplateRecord & { sourceId: string; label: string })[] {
  const rows = (Array.isArray(data) ? data : frameRecords(data as DataFrame)) as Record<string, unknown>[];
  const seen = new Set<string>();
  return rows.map((r, i) => {
    for (const key of ["sourceId", "label"]) {
      if (r[key] === undefined || r[key] === null || String(r[key]) === "") {
        throw new Error(
          `buildInstructionDataset: record ${i + 1} has no ${key} (its fields: ${Object.keys(r).join(", ")}). ` +
            "Every record needs a unique sourceId (to keep its examples in one split) and a label (to stratify the split); the loaders in src/data give both.",
        );
      }
    }
    const sourceId = String(r.sourceId);
    if (seen.has(sourceId))
      throw new Error(
        `buildInstructionDataset: the sourceId ${JSON.stringify(sourceId)} appears twice (record ${i + 1}); each record needs its own.`,
      );
    seen.add(sourceId);
    return { ...r, sourceId, label: String(r.label) };
  });
}

/** Renders the templates over the records: the instruction dataset, in record order. */
export function buildInstructionDataset(
  data: DataFrame | readonly TemplateRecord[],
  config: InstructionDatasetConfig,
): InstructionExample[] {
  for (const key of Object.keys(config)) {
    if (!CONFIG_KEYS.includes(key))
      throw new Error(`buildInstructionDataset: unknown option "${key}"; the options are ${CONFIG_KEYS.join(", ")}.`);
  }
  const mode = config.mode ?? "one-per-record";
  if (mode !== "one-per-record" && mode !== "all-per-record")
    throw new Error(
      `buildInstructionDataset: mode must be "one-per-record" or "all-per-record", got ${JSON.stringify(mode)}.`,
    );
  if (!Array.isArray(config.templates) || config.templates.length === 0)
    throw new Error("buildInstructionDataset: give at least one template (an id or a template) in templates.");
  const templates = resolveTemplates(config.templates);
  const rng = new SeededRandom(config.seed ?? 0).fork("templates");
  const examples: InstructionExample[] = [];
  const skipped: TemplateRenderError[] = [];
  for (const record of sourceRecords(data)) {
    // One draw per record whatever happens to it, so the same seed picks the same templates.
    const chosen = mode === "all-per-record" ? templates : [templates[rng.int(templates.length)]];
    for (const template of chosen) {
      try {
        const { prompt, completion } = renderTemplate(template, record);
        examples.push({
          prompt,
          completion,
          label: record.label,
          templateId: template.id,
          sourceId: record.sourceId,
          task: template.task,
        });
      } catch (err) {
        if (!(err instanceof TemplateRenderError) || !config.skipUnrenderable) throw err;
        skipped.push(err);
        config.onSkip?.(err);
      }
    }
  }
  if (skipped.length > 0 && !config.onSkip) {
    notify(
      "buildInstructionDataset",
      `left out ${skipped.length} example${skipped.length === 1 ? "" : "s"} that could not be rendered; the first: ${skipped[0].message}`,
    );
  }
  return examples;
}

/** Rows for showTable: the given templates rendered on one record, to compare their phrasings. */
export function previewTemplates(
  record: TemplateRecord,
  templates: readonly (string | PromptTemplate)[],
): { template: string; prompt: string; completion: string }[] {
  return resolveTemplates(templates).map((t) => ({ template: t.id, ...renderTemplate(t, record) }));
}

/**
 * Keeps one phrasing per task for each source record, drawn with the seed: from every template
 * rendered on every record ("all-per-record") to a training set where each review is seen once per
 * task (once classified, once written, ...), under one of that task's phrasings. The order is kept.
 */
export function onePhrasingPerTask<T extends InstructionExample>(examples: readonly T[], seed: number | string): T[] {
  const groups = new Map<string, T[]>();
  for (const e of examples) {
    const key = `${e.sourceId}\u0000${e.task}`;
    const list = groups.get(key);
    if (list) list.push(e);
    else groups.set(key, [e]);
  }
  const rng = new SeededRandom(seed).fork("phrasing");
  const kept = new Set<T>();
  // Groups in order of first appearance, one draw each: the same seed keeps the same examples.
  for (const list of groups.values()) kept.add(list[rng.int(list.length)]);
  return examples.filter((e) => kept.has(e));
}

/** Rows for showTable: per task, its templates and how many examples each split has. */
export function taskReport(splits: {
  train: readonly InstructionExample[];
  validation: readonly InstructionExample[];
  test: readonly InstructionExample[];
}): Record<string, string | number>[] {
  const tasks = [...new Set([...splits.train, ...splits.validation, ...splits.test].map((e) => e.task))];
  return tasks.map((task) => {
    const of = (list: readonly InstructionExample[]) => list.filter((e) => e.task === task);
    const trained = new Set(of(splits.train).map((e) => e.templateId));
    const tested = [...new Set(of(splits.test).map((e) => e.templateId))];
    return {
      task,
      "trained phrasings": [...trained].join(", ") || "(none)",
      "held-out phrasings (test only)": tested.filter((t) => !trained.has(t)).join(", ") || "(none)",
      train: of(splits.train).length,
      validation: of(splits.validation).length,
      test: of(splits.test).length,
    };
  });
}
