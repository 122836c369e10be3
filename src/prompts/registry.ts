// The template registry: the shipped templates (library.ts) and any a user defines in a notebook cell.
//
//   defineTemplate({ id: "my-verdict", task: "sentiment-classification",
//     instruction: "{{text}}\nVerdict:", completion: "{{answer}}", answerField: "label",
//     answerChoices: ["negative", "positive"], metric: "accuracy", originalTask: true });
//   listTemplates({ task: "rating-prediction" });     // the templates of one task
//   showTable(templateTable(listTemplates()));         // all of them as a table
//
// Running a cell again defines the same template again: an identical definition is accepted as is,
// a different one under a taken id is refused unless { replace: true } is passed.
import { REVIEW_TOPIC_TEMPLATES, SENTIMENT_TEMPLATES, STAR_RATING_TEMPLATES } from "./library";
import { checkTemplate, didYouMean, type PromptTemplate, type TemplateSpec } from "./template";

const registry = new Map<string, PromptTemplate>();
/** What each id was defined from, to tell a re-run cell from a clash. */
const definitions = new Map<string, string>();

/** The spec as JSON with keys sorted at every level, so key order does not matter. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj)
      .filter((k) => obj[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(obj[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
}

/** Checks a template (unknown placeholders, answer choices, space convention) and registers it. */
export function defineTemplate(spec: TemplateSpec, options: { replace?: boolean } = {}): PromptTemplate {
  const template = checkTemplate(spec);
  const existing = registry.get(template.id);
  if (existing) {
    if (definitions.get(template.id) === canonical(spec)) return existing;
    if (!options.replace) {
      throw new Error(
        `Template "${template.id}": the id is taken by a ${existing.collection} template (task ${existing.task}). ` +
          "Choose another id, or pass { replace: true } to replace it.",
      );
    }
  }
  registry.set(template.id, template);
  definitions.set(template.id, canonical(spec));
  return template;
}

/** Removes a template from the registry (true when there was one). */
export function removeTemplate(id: string): boolean {
  definitions.delete(id);
  return registry.delete(id);
}

/** The registered template with this id; an unknown id is an error listing the ids. */
export function getTemplate(id: string): PromptTemplate {
  const t = registry.get(id);
  if (!t)
    throw new Error(
      `No template "${id}"${didYouMean(id, [...registry.keys()])}. The templates are: ${[...registry.keys()].join(", ")}.`,
    );
  return t;
}

/** Templates given by id or as objects, each looked up or checked. */
export function resolveTemplates(templates: readonly (string | PromptTemplate)[]): PromptTemplate[] {
  return templates.map((t) => (typeof t === "string" ? getTemplate(t) : t));
}

export interface TemplateFilter {
  /** Only templates of this task. */
  task?: string;
  /** Only templates of this collection ("sentiment", "star-rating", "user"). */
  collection?: string;
  /** Only templates whose fields are all among these (the columns your data has). */
  fields?: readonly string[];
  /** Only templates that do (true) or do not (false) ask for the dataset's original task. */
  originalTask?: boolean;
}

/** Registered templates, in the order they were defined, filtered. */
export function listTemplates(filter: TemplateFilter = {}): PromptTemplate[] {
  return [...registry.values()].filter(
    (t) =>
      (filter.task === undefined || t.task === filter.task) &&
      (filter.collection === undefined || t.collection === filter.collection) &&
      (filter.originalTask === undefined || t.originalTask === filter.originalTask) &&
      (filter.fields === undefined || t.fields.every((f) => filter.fields!.includes(f))),
  );
}

/** A template's text on one table line: each newline shown as "⏎". */
const oneLine = (text: string): string => text.replace(/\r?\n/g, "⏎");

/**
 * Rows for showTable: one per template with its task, its instruction and completion pattern (each
 * newline shown as "⏎", so a row stays on one line), fields, answers and metric.
 */
export function templateTable(templates: readonly PromptTemplate[] = listTemplates()): Record<string, string>[] {
  return templates.map((t) => ({
    id: t.id,
    collection: t.collection,
    task: t.task,
    instruction: oneLine(t.instruction),
    completion: oneLine(t.completion),
    fields: t.fields.join(", "),
    answers: t.answerChoices ? t.answerChoices.join(" / ") : "(free text)",
    metric: t.metric,
    original: t.originalTask ? "yes" : "no",
  }));
}

for (const spec of [...SENTIMENT_TEMPLATES, ...REVIEW_TOPIC_TEMPLATES, ...STAR_RATING_TEMPLATES]) defineTemplate(spec);
