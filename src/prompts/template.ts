// A prompt template: how one raw record becomes one instruction example (prompt + completion), in the
// spirit of promptsource. Templates are data; this file checks them and renders them.
//
//   const t = checkTemplate({
//     id: "sentiment-classify", task: "sentiment-classification",
//     instruction: "Classify this review: {{text}}\nSentiment:", completion: "{{answer}}",
//     answerField: "label", answerChoices: ["negative", "positive"], metric: "accuracy", originalTask: true,
//   });
//   renderTemplate(t, { sourceId: "amazon:2", text: "Good case, Excellent value.", label: "positive" });
//   // { prompt: "Classify this review: Good case, Excellent value.\nSentiment:", completion: " positive" }
//
// Placeholders are {{field}} (spaces inside the braces allowed): a column of the record, or {{answer}}
// in the completion: the record's `answerField` value, through `answerMap` when there is one
// ({negative: "no", positive: "yes"}), which must be one of answerChoices.
//
// The space convention (GPT-2's tokenizer glues a space to the word after it, " positive" is one
// token): a prompt never ends with whitespace, and every completion starts with exactly one space.
// So prompt + completion reads naturally, and the completion's first token is the answer word itself.

import { didYouMean as closestName } from "../util/config";

/** What a template asks for. The shipped tasks are named here; a user's template may name another. */
export type TemplateTask =
  "sentiment-classification" | "rating-prediction" | "review-generation" | "headline-generation" | (string & {});

/**
 * How an answer is scored (src/eval/tasks.ts):
 *   "accuracy"  the written answer must be one of answerChoices and the right one (classification);
 *   "judge"     a written review must carry the sentiment the prompt asked for, as a separate judge
 *               classifier reads it (review generation; never exact match on free text);
 *   "rouge-l"   word overlap (ROUGE-L F1) with the reference completion (a headline);
 *   "none"      not scored (a template used for training only).
 */
export type TemplateMetric = "accuracy" | "judge" | "rouge-l" | "none";

/** A template as written in a notebook cell or in the library (library.ts). */
export interface TemplateSpec {
  /** Unique among registered templates: lowercase letters, digits, "-", "_" and ".". */
  id: string;
  task: TemplateTask;
  /** The prompt, with {{field}} placeholders; it must not end with whitespace. */
  instruction: string;
  /** The completion, e.g. "{{answer}}" or "{{text}}"; rendered after one space, so it must not start with whitespace. */
  completion: string;
  /** The possible completions for tasks with a closed set of answers (classification, rating). */
  answerChoices?: readonly string[];
  /** The record field {{answer}} comes from (label, rating). */
  answerField?: string;
  /** Record value -> answer choice, when the answer is not the value itself ("positive" -> "yes"). */
  answerMap?: Readonly<Record<string, string>>;
  metric: TemplateMetric;
  /** True when the template asks for the dataset's original task (the label or rating it was made for). */
  originalTask: boolean;
  /** Which template family it belongs to: "sentiment" and "star-rating" ship; default "user". */
  collection?: string;
  /** Columns of your own data a placeholder may name besides the review schema's fields. */
  extraFields?: readonly string[];
}

/** A checked template: its spec plus the record fields it needs. */
export interface PromptTemplate extends Readonly<TemplateSpec> {
  readonly collection: string;
  /** The record fields rendering reads (placeholders, and answerField for {{answer}}), in first-use order. */
  readonly fields: readonly string[];
}

/** One rendered example. */
export interface RenderedPrompt {
  prompt: string;
  completion: string;
}

/** Fields of the review schema (src/data/reviews.ts) a placeholder may name. */
export const TEMPLATE_FIELDS: readonly string[] = ["text", "label", "rating", "title", "product", "category", "domain"];

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SPEC_KEYS = [
  "id",
  "task",
  "instruction",
  "completion",
  "answerChoices",
  "answerField",
  "answerMap",
  "metric",
  "originalTask",
  "collection",
  "extraFields",
];
const METRICS: readonly TemplateMetric[] = ["accuracy", "judge", "rouge-l", "none"];

/** The placeholder names in a template string, in order, each once. */
export function placeholders(text: string): string[] {
  const names: string[] = [];
  for (const m of text.matchAll(PLACEHOLDER)) if (!names.includes(m[1])) names.push(m[1]);
  return names;
}

/** " (did you mean "x"?)" when a known name is close to a mistyped one, else "". */
export function didYouMean(name: string, known: readonly string[]): string {
  const guess = closestName(name, known);
  return guess ? ` (did you mean "${guess}"?)` : "";
}

/** Checks a spec and returns the frozen template; throws a message naming the template and the problem. */
export function checkTemplate(spec: TemplateSpec): PromptTemplate {
  const where = `Template ${JSON.stringify(spec?.id ?? "(no id)")}`;
  const fail: (msg: string) => never = (msg) => {
    throw new Error(`${where}: ${msg}`);
  };
  if (typeof spec !== "object" || spec === null)
    throw new Error("A template is an object with id, task, instruction, completion, metric and originalTask.");
  for (const key of Object.keys(spec))
    if (!SPEC_KEYS.includes(key))
      fail(`unknown field "${key}"${didYouMean(key, SPEC_KEYS)}; the fields are ${SPEC_KEYS.join(", ")}.`);
  if (typeof spec.id !== "string" || !/^[a-z0-9][a-z0-9._-]*$/.test(spec.id))
    fail('id must be lowercase letters, digits, "-", "_" or ".", starting with a letter or digit.');
  if (typeof spec.task !== "string" || spec.task.trim() === "")
    fail('task must name the task, e.g. "sentiment-classification".');
  if (typeof spec.instruction !== "string" || spec.instruction.trim() === "")
    fail("instruction must be the prompt text.");
  if (typeof spec.completion !== "string" || spec.completion.trim() === "")
    fail('completion must say what follows the prompt, e.g. "{{answer}}" or "{{text}}".');
  if (/\s$/.test(spec.instruction))
    fail("instruction ends with whitespace; end it without, as the completion brings its own leading space.");
  if (/^\s/.test(spec.completion))
    fail("completion starts with whitespace; the renderer adds exactly one space before it.");
  if (!METRICS.includes(spec.metric))
    fail(`metric must be one of ${METRICS.join(", ")}, got ${JSON.stringify(spec.metric)}.`);
  if (typeof spec.originalTask !== "boolean")
    fail("originalTask must be true or false: does the template ask for the task the dataset was made for?");
  const extra = spec.extraFields ?? [];
  for (const f of extra)
    if (typeof f !== "string" || !NAME.test(f)) fail(`extraFields: ${JSON.stringify(f)} is not a column name.`);
  const known = [...TEMPLATE_FIELDS, ...extra];

  for (const [part, text] of [
    ["instruction", spec.instruction],
    ["completion", spec.completion],
  ] as const) {
    // Braces left after removing well-formed placeholders are a typo such as "{{text}" or "{text}}".
    const rest = text.replace(PLACEHOLDER, "");
    if (/\{\{|\}\}/.test(rest))
      fail(
        `${part} has a malformed placeholder near ${JSON.stringify(rest.slice(Math.max(0, rest.search(/\{\{|\}\}/) - 10)).slice(0, 30))}; write {{field}}.`,
      );
    for (const name of placeholders(text)) {
      if (name === "answer") {
        if (part === "instruction")
          fail("{{answer}} in the instruction would give the answer away; use it in the completion.");
        continue;
      }
      if (!NAME.test(name) || !known.includes(name)) {
        fail(
          `unknown placeholder {{${name}}} in the ${part}${didYouMean(name, [...known, "answer"])}. Placeholders name a field: ${known.join(", ")}, or {{answer}} in the completion` +
            (extra.length ? "." : "; for a column of your own data, list it in extraFields."),
        );
      }
    }
  }
  const usesAnswer = placeholders(spec.completion).includes("answer");
  const choices = spec.answerChoices;
  if (choices !== undefined) {
    if (!Array.isArray(choices) || choices.length < 2) fail("answerChoices must list at least two answers.");
    for (const c of choices!)
      if (typeof c !== "string" || c === "" || c !== c.trim())
        fail(`answerChoices: ${JSON.stringify(c)} must be text without spaces at its ends.`);
    if (new Set(choices).size !== choices!.length) fail("answerChoices lists an answer twice.");
  }
  if (spec.metric === "accuracy" && !choices)
    fail('metric "accuracy" needs answerChoices, the answers it picks among.');
  if (usesAnswer) {
    if (!spec.answerField)
      fail('the completion uses {{answer}}; say which record field it comes from in answerField (e.g. "label").');
    if (!choices) fail("the completion uses {{answer}}; list the possible answers in answerChoices.");
  } else if (spec.answerField !== undefined || spec.answerMap !== undefined) {
    fail("answerField and answerMap are only used by {{answer}}, which the completion does not contain.");
  }
  if (spec.answerField !== undefined && !known.includes(spec.answerField))
    fail(
      `answerField "${spec.answerField}" is not a field${didYouMean(spec.answerField, known)}; the fields are ${known.join(", ")}.`,
    );
  if (spec.answerMap !== undefined) {
    for (const [from, to] of Object.entries(spec.answerMap)) {
      if (!choices!.includes(to))
        fail(`answerMap sends "${from}" to "${to}", which is not one of answerChoices (${choices!.join(", ")}).`);
    }
  }
  if (spec.collection !== undefined && (typeof spec.collection !== "string" || spec.collection === ""))
    fail("collection must be a non-empty name.");

  const fields: string[] = [];
  for (const name of [...placeholders(spec.instruction), ...placeholders(spec.completion)]) {
    const field = name === "answer" ? spec.answerField! : name;
    if (!fields.includes(field)) fields.push(field);
  }
  return Object.freeze({
    ...spec,
    collection: spec.collection ?? "user",
    answerChoices: choices ? Object.freeze(choices.slice()) : undefined,
    answerMap: spec.answerMap ? Object.freeze({ ...spec.answerMap }) : undefined,
    extraFields: spec.extraFields ? Object.freeze(spec.extraFields.slice()) : undefined,
    fields: Object.freeze(fields),
  });
}

/** A record a template renders: an object with review-schema fields (and any columns of your own). */
export type TemplateRecord = object;

/** The error of rendering one template on one record. */
export class TemplateRenderError extends Error {
  constructor(
    readonly templateId: string,
    readonly sourceId: string,
    readonly field: string,
    problem: string,
  ) {
    super(`Template "${templateId}" on record ${sourceId}: ${problem}`);
    this.name = "TemplateRenderError";
  }
}

function fieldText(template: PromptTemplate, record: TemplateRecord, field: string, sourceId: string): string {
  const v = (record as Record<string, unknown>)[field];
  if (v === undefined || v === null || (typeof v === "number" && Number.isNaN(v))) {
    throw new TemplateRenderError(
      template.id,
      sourceId,
      field,
      `the record has no field "${field}" (its fields: ${Object.keys(record).join(", ")}). ` +
        `This template needs ${template.fields.join(", ")}; pick templates whose fields your data has (listTemplates({ fields: [...] })).`,
    );
  }
  const text = String(v).trim();
  if (text === "") {
    throw new TemplateRenderError(
      template.id,
      sourceId,
      field,
      `the field "${field}" is empty. Leave such records out, or build the dataset with { skipUnrenderable: true }.`,
    );
  }
  return text;
}

/**
 * Renders a template on one record: { prompt, completion } with the space convention above. Values
 * are inserted trimmed. A missing or empty field, or an answer outside the answer choices, is a
 * TemplateRenderError naming the template, the record's sourceId and the field.
 */
export function renderTemplate(template: PromptTemplate, record: TemplateRecord): RenderedPrompt {
  const id = (record as { sourceId?: unknown }).sourceId;
  const sourceId = id === undefined ? "(no sourceId)" : String(id);
  const fill = (text: string): string =>
    text.replace(PLACEHOLDER, (_, name: string) => {
      if (name !== "answer") return fieldText(template, record, name, sourceId);
      const field = template.answerField!;
      const value = fieldText(template, record, field, sourceId);
      const answer = template.answerMap ? template.answerMap[value] : value;
      if (answer === undefined || !template.answerChoices!.includes(answer)) {
        throw new TemplateRenderError(
          template.id,
          sourceId,
          field,
          `its ${field} ${JSON.stringify(value)} is not one of the answer choices ` +
            `(${template.answerMap ? Object.keys(template.answerMap).join(", ") : template.answerChoices!.join(", ")}). ` +
            `Use this template on records whose ${field} is one of those (e.g. filter out neutral reviews).`,
        );
      }
      return answer;
    });
  return { prompt: fill(template.instruction), completion: " " + fill(template.completion) };
}
