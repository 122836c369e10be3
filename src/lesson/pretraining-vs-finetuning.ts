// Pre-training and fine-tuning side by side, from measured values: what the shipped base model's
// pre-training run recorded in its model card (written by `npm run pretrain`), and what the
// fine-tuning run of this notebook recorded in its state.
//
//   showTable(pretrainingVsFinetuningRows(readPretrainingFacts(), run.state, { trainExamples: 2296, tasks: 3 }));
//
// The same loop (next-token cross-entropy, AdamW) does both; what differs is the data, which
// positions the loss grades, and the scale.
import fs from "node:fs";
import path from "node:path";
import type { FinetuneState } from "../train/finetune-state";
import { BASE_MODEL_DIR } from "./base-model";

/** What the base model's pre-training run measured, as its model card records it. */
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

const number = (s: string) => Number(s.replace(/,/g, ""));

/** 6736 -> "1:52:16 (6,736 s)", 61 -> "1:01 (61 s)". */
function clock(seconds: number): string {
  const s = Math.round(seconds);
  const [h, m, r] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  const pad = (x: number) => String(x).padStart(2, "0");
  return `${h > 0 ? `${h}:${pad(m)}` : m}:${pad(r)} (${s.toLocaleString("en-US")} s)`;
}

/** "1:52:16" -> 6736 seconds. */
function seconds(clock: string): number {
  return clock.split(":").reduce((total, part) => total * 60 + Number(part), 0);
}

/** The pre-training facts from a base model's card (README.md); a card without one of them is an error that names it. */
export function readPretrainingFacts(folder = BASE_MODEL_DIR): PretrainingFacts {
  const file = path.join(folder, "README.md");
  if (!fs.existsSync(file))
    throw new Error(
      `readPretrainingFacts: ${file} is missing; the base model's card (written by npm run pretrain -- --ship) records its pre-training.`,
    );
  const card = fs.readFileSync(file, "utf8");
  const find = (what: string, pattern: RegExp): RegExpExecArray => {
    const m = pattern.exec(card);
    if (!m) throw new Error(`readPretrainingFacts: ${file} does not say ${what} (expected to match ${pattern}).`);
    return m;
  };
  const run = find("the run's steps and batch", /This run: ([\d,]+) steps of (\d+) x (\d+) tokens/);
  const sources = [...card.matchAll(/^\| ([^|]+?) \(`[^`]+`[^)]*\) \| \d+ \| \d+ \|/gm)].map((m) => m[1].trim());
  return {
    steps: number(run[1]),
    batchSize: number(run[2]),
    window: number(run[3]),
    tokensSeen: number(find("the tokens seen", /^\| tokens seen \| ([\d,]+) \|$/m)[1]),
    trainingSeconds: seconds(find("the training time", /^\| training time \| ([\d:]+) \|$/m)[1]),
    machine: find("the machine", /^\| machine \| ([^|]+?) \|$/m)[1],
    corpusCharacters: number(find("the corpus size", /^([\d,]+) characters in all\./m)[1]),
    learningRate: Number(find("the learning rate", /learning rate ([\d.e-]+) after/)[1]),
    sources,
  };
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
