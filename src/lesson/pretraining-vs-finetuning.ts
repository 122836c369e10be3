// Pre-training and fine-tuning side by side, from measured values: what the shipped base model's
// pre-training run recorded beside its model card (pretraining.json, written by `npm run pretrain --
// --ship`), and what the fine-tuning run of this notebook recorded in its state.
//
//   showTable(pretrainingVsFinetuningRows(readPretrainingFacts(), run.state, { trainExamples: 2296, tasks: 3 }));
//
// The same loop (next-token cross-entropy, AdamW) does both; what differs is the data, which
// positions the loss grades, and the scale.
import fs from "node:fs";
import path from "node:path";
import type { FinetuneState } from "../train/finetune-state";
import { BASE_MODEL_DIR } from "./base-model";

/** What the base model's pre-training run measured, as its folder records it (pretraining.json). */
export interface PretrainingFacts {
  steps: number;
  /** Windows per step, and tokens per window (the context window). */
  batchSize: number;
  window: number;
  tokensSeen: number;
  trainingSeconds: number;
  machine: string;
  /** Characters of the whole corpus (training and held-out documents). */
  corpusCharacters: number;
  /** Peak learning rate. */
  learningRate: number;
  /** The corpus's sources, as the card names them. */
  sources: string[];
}

/** 6736 -> "1:52:16 (6,736 s)", 61 -> "1:01 (61 s)". */
function clock(seconds: number): string {
  const s = Math.round(seconds);
  const [h, m, r] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  const pad = (x: number) => String(x).padStart(2, "0");
  return `${h > 0 ? `${h}:${pad(m)}` : m}:${pad(r)} (${s.toLocaleString("en-US")} s)`;
}

/** The file beside a base model's card where its pre-training run's facts are kept as data. */
export const PRETRAINING_FACTS_FILE = "pretraining.json";

/** The pre-training facts a base model's folder records (pretraining.json, written by npm run pretrain -- --ship). */
export function readPretrainingFacts(folder = BASE_MODEL_DIR): PretrainingFacts {
  const file = path.join(folder, PRETRAINING_FACTS_FILE);
  if (!fs.existsSync(file))
    throw new Error(
      `readPretrainingFacts: ${file} is missing; npm run pretrain -- --ship writes it beside the model card, with what the pre-training run measured.`,
    );
  const facts = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
  const numbers = ["steps", "batchSize", "window", "tokensSeen", "trainingSeconds", "corpusCharacters", "learningRate"];
  const wrong = [
    ...numbers.filter((key) => typeof facts[key] !== "number"),
    ...(typeof facts.machine === "string" ? [] : ["machine"]),
    ...(Array.isArray(facts.sources) ? [] : ["sources"]),
  ];
  if (wrong.length)
    throw new Error(
      `readPretrainingFacts: ${file} lacks ${wrong.join(", ")} (or has the wrong type); write it again with npm run pretrain -- --ship.`,
    );
  return facts as unknown as PretrainingFacts;
}

/** Rows for showTable: pre-training against this fine-tuning run, aspect by aspect. */
export function pretrainingVsFinetuningRows(
  pre: PretrainingFacts,
  run: FinetuneState,
  data: { trainExamples: number; tasks: number },
): { "": string; "pre-training (the base model)": string; "fine-tuning (this notebook)": string }[] {
  const n = (x: number) => Math.round(x).toLocaleString("en-US");
  const preGraded = pre.steps * pre.batchSize * (pre.window - 1); // every position but the first of each window
  const { trainExamples, tasks } = data;
  const rows: [string, string, string][] = [
    [
      "data",
      `unlabeled text (${pre.sources.join("; ")}): ${n(pre.corpusCharacters)} characters`,
      `prompt-completion pairs: ${n(trainExamples)} training examples of ${tasks} task${tasks === 1 ? "" : "s"}`,
    ],
    ["starts from", "random weights", "the base model's weights"],
    [
      "what the loss grades",
      "every position: each token predicts the next one",
      "the answer's tokens and the end-of-text after it; the prompt is read, not graded",
    ],
    ["tokens read", n(pre.tokensSeen), n(run.tokensSeen)],
    ["tokens graded", n(preGraded), n(run.gradedTokens)],
    [
      "share of tokens graded",
      `${((100 * preGraded) / pre.tokensSeen).toFixed(1)}%`,
      `${((100 * run.gradedTokens) / run.tokensSeen).toFixed(1)}%`,
    ],
    [
      "optimizer steps",
      `${n(pre.steps)} of ${pre.batchSize} windows x ${pre.window} tokens`,
      `${n(run.step)} of ${run.config.batchSize} examples`,
    ],
    ["peak learning rate (AdamW)", String(pre.learningRate), String(run.config.learningRate)],
    [
      "training time",
      `${clock(pre.trainingSeconds)} on ${pre.machine.split(",")[0]} (its model card)`,
      `${clock(run.elapsedSeconds)} (measured by the run)`,
    ],
  ];
  return rows.map(([aspect, pretraining, finetuning]) => ({
    "": aspect,
    "pre-training (the base model)": pretraining,
    "fine-tuning (this notebook)": finetuning,
  }));
}
