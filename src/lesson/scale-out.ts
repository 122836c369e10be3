// The lesson's fine-tuning job, exported for Hugging Face TRL: the same data, model and hyperparameters
// in the formats a multi-GPU trainer reads, so that a learner who outgrows two CPU cores can carry on.
//
//   const job = exportScaleOutJob({ hp, data: lessonData(hp), base: loadBaseModel(), folder: "runs/scale-out/job" });
//   // then: python scale-out/train_sft.py --job runs/scale-out/job --out runs/scale-out/trl
//   // and:  loadCheckpoint("runs/scale-out/trl") is the model TRL trained, ready for evaluation here
//
// The job folder:
//   job.json            what is in it: the lesson's hyperparameters, the fine-tuning config they imply,
//                       the templates used (as data), the files, example counts
//   data/train.jsonl    {"prompt": ..., "completion": ...} per line: exactly the examples the workbook
//   data/validation.jsonl   trains on (longer than maxLength ones are left out, as the workbook does),
//   data/test.jsonl         in the same order, so that an index means the same example on both sides
//   base-model/         the base model as a Hugging Face GPT-2 folder with its tokenizer
//   batch-order.json    the workbook's batches for the whole run (example indices, one list per
//                       optimizer step): train_sft.py --batch-order replays them instead of TRL's shuffle
//
// TRL's SFTTrainer reads prompt/completion JSONL as is: it tokenizes prompt + completion, appends the
// end-of-text token and grades only the completion and that token, as the workbook's loss mask does.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { exportJsonl } from "../data/jsonl-export";
import { saveCheckpoint } from "../model/checkpoint";
import type { GPT } from "../model/gpt";
import type { BPETokenizer } from "../model/tokenizer";
import { writeFileAtomic } from "../util/atomic-write";
import { getTemplate } from "../prompts/registry";
import type { InstructionExample } from "../prompts/instruction-dataset";
import { tokenizeExamples, type TokenizedExample } from "../train/sft-batches";
import { epochBatchesOf } from "../train/training-plan";
import type { FinetuneConfig } from "../train/finetune-config";
import { projectPath, VENV_PYTHON } from "../runtime/paths";
import { finetuneConfigOf, type LessonHyperparameters } from "./hyperparameters";

/** Format tag of job.json, for scripts that read it. */
export const SCALE_OUT_JOB_FORMAT = "instruction-workbook/sft-job@1";

export interface ScaleOutJob {
  format: string;
  /** The lesson's hyperparameters (data and training). */
  hyperparameters: LessonHyperparameters;
  /** The fine-tuning config they imply: what train_sft.py translates into SFTConfig. */
  finetune: FinetuneConfig;
  /** The templates the examples were rendered with, as data (id, instruction, completion, answers...). */
  templates: object[];
  /** Split -> JSONL file, relative to the job folder. */
  data: { train: string; validation: string; test: string };
  /** The base model folder, relative to the job folder. */
  baseModel: string;
  /** The workbook's batches, relative to the job folder. */
  batchOrder: string;
  counts: {
    train: number;
    validation: number;
    test: number;
    trainLeftOut: number;
    steps: number;
    stepsPerEpoch: number;
  };
}

export interface ExportScaleOutOptions {
  hp: LessonHyperparameters;
  data: { splits: { train: InstructionExample[]; validation: InstructionExample[]; test: InstructionExample[] } };
  base: { model: GPT; tokenizer: BPETokenizer };
  /** The job folder; it must not exist unless overwrite is true. */
  folder: string;
  overwrite?: boolean;
}

/**
 * The training examples the workbook trains on, in order: those that fit in maxLength tokens
 * (prompt, completion and end-of-text), with their tokens.
 */
export function trainableExamples<T extends { prompt: string; completion: string }>(
  examples: readonly T[],
  tokenizer: BPETokenizer,
  maxLength: number,
): { kept: T[]; tokenized: TokenizedExample[]; leftOut: number } {
  const kept: T[] = [];
  const tokenized: TokenizedExample[] = [];
  for (const e of examples) {
    const { examples: one } = tokenizeExamples([e], tokenizer, { maxLength, onTooLong: "skip" });
    if (one.length === 1) {
      kept.push(e);
      tokenized.push(one[0]);
    }
  }
  return { kept, tokenized, leftOut: examples.length - kept.length };
}

/** The workbook's batches for a whole run, as finetune() makes them: one list of example indices per optimizer step. */
export function workbookBatchOrder(
  tokenized: readonly TokenizedExample[],
  config: FinetuneConfig,
  padId: number,
): number[][] {
  const steps: number[][] = [];
  for (let epoch = 0; epoch < config.epochs; epoch++) {
    const batches = epochBatchesOf(tokenized, config, epoch, padId, Number.POSITIVE_INFINITY);
    for (let b = 0; b < batches.length; b += config.gradAccumulation) {
      steps.push(batches.slice(b, b + config.gradAccumulation).flatMap((batch) => batch.indices));
    }
  }
  return steps;
}

/** Writes the job folder (see the header) and returns what job.json says. */
export function exportScaleOutJob(o: ExportScaleOutOptions): ScaleOutJob {
  const folder = path.resolve(o.folder);
  if (fs.existsSync(folder)) {
    if (!o.overwrite)
      throw new Error(
        `exportScaleOutJob: ${folder} already exists and was left as it is. Choose another folder, or pass overwrite: true to replace it.`,
      );
    fs.rmSync(folder, { recursive: true, force: true });
  }
  const config = finetuneConfigOf(o.hp);
  if (config.lossWeighting !== "token") {
    // TRL's SFTTrainer averages the loss over the batch's graded tokens; it has no per-example weighting.
    throw new Error(
      'exportScaleOutJob: lossWeighting is "example", which TRL\'s SFTTrainer cannot reproduce (it averages over graded tokens); export with lossWeighting: "token" (SINGLE_TASK does).',
    );
  }
  if (config.gradAccumulation !== 1) {
    // TRL would see one micro-batch per accumulation step; replaying the workbook's order then needs a
    // sampler per micro-batch, which train_sft.py does not have.
    throw new Error(
      "exportScaleOutJob: gradAccumulation must be 1 for the scale-out export (raise batchSize instead; TRL splits it over the GPUs).",
    );
  }
  const { tokenizer, model } = o.base;
  const eos = tokenizer.eosTokenId;
  if (eos === undefined)
    throw new Error("exportScaleOutJob: the tokenizer has no end-of-text token; TRL appends it to every completion.");
  const train = trainableExamples(o.data.splits.train, tokenizer, config.maxLength);
  if (train.kept.length === 0)
    throw new Error(`exportScaleOutJob: no training example fits in maxLength ${config.maxLength} tokens.`);

  fs.mkdirSync(folder, { recursive: true });
  const files = { train: "data/train.jsonl", validation: "data/validation.jsonl", test: "data/test.jsonl" };
  exportJsonl(train.kept, path.join(folder, files.train));
  exportJsonl(o.data.splits.validation, path.join(folder, files.validation));
  exportJsonl(o.data.splits.test, path.join(folder, files.test));
  saveCheckpoint(model, path.join(folder, "base-model"), { tokenizer });
  const order = workbookBatchOrder(train.tokenized, config, eos);
  writeFileAtomic(path.join(folder, "batch-order.json"), `${JSON.stringify(order)}\n`);

  const templateIds = [...new Set([...o.data.splits.train, ...o.data.splits.test].map((e) => e.templateId))];
  const job: ScaleOutJob = {
    format: SCALE_OUT_JOB_FORMAT,
    hyperparameters: o.hp,
    finetune: config,
    templates: templateIds.map((id) => {
      const { fields: _fields, ...spec } = getTemplate(id);
      return spec;
    }),
    data: files,
    baseModel: "base-model",
    batchOrder: "batch-order.json",
    counts: {
      train: train.kept.length,
      validation: o.data.splits.validation.length,
      test: o.data.splits.test.length,
      trainLeftOut: train.leftOut,
      steps: order.length,
      stepsPerEpoch: order.length / config.epochs,
    },
  };
  writeFileAtomic(path.join(folder, "job.json"), `${JSON.stringify(job, null, 1)}\n`);
  return job;
}

export const TRL_SCRIPT = projectPath("scale-out", "train_sft.py");

/**
 * Throws, saying how to fix it, unless .venv's Python can import TRL, accelerate and datasets.
 * Returns their versions.
 */
export function checkTrlEnvironment(python = VENV_PYTHON): Record<string, string> {
  const fix =
    "Run `node kernel/setup.mjs --reference` (it installs kernel/requirements-reference.txt into .venv: PyTorch CPU, transformers, TRL, accelerate, datasets).";
  if (!fs.existsSync(python))
    throw new Error(`The scale-out route needs the project's Python environment, and ${python} does not exist. ${fix}`);
  const r = spawnSync(
    python,
    [
      "-c",
      "import json, trl, accelerate, datasets, transformers, torch; print(json.dumps({m.__name__: m.__version__ for m in (trl, accelerate, datasets, transformers, torch)}))",
    ],
    { encoding: "utf8", env: { ...process.env, HF_HUB_OFFLINE: "1" } },
  );
  if (r.status !== 0)
    throw new Error(
      `${python} cannot import TRL and its companions:\n${(r.stderr || "").trim().split("\n").slice(-3).join("\n")}\n${fix}`,
    );
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

export interface TrlRunOptions {
  /** The job folder exportScaleOutJob wrote. */
  job: string;
  /** Where TRL saves the fine-tuned model (a Hugging Face folder with its tokenizer). */
  out: string;
  /** Replay the workbook's batches (job/batch-order.json) instead of TRL's shuffle. */
  workbookBatches?: boolean;
  /** Stop after this many optimizer steps; the learning-rate schedule stays the full run's. */
  stopAfter?: number;
  /** Write each step's loss, learning rate, gradient norm and token ids to this JSON file. */
  record?: string;
  /** Skip the validation loss at the end of each epoch. */
  noEval?: boolean;
  /** CPU threads for torch (default: torch's choice). */
  threads?: number;
  /** Lines of the script's output as they come (default: none; the output is in the error when it fails). */
  onOutput?: (line: string) => void;
  python?: string;
}

/** What train_sft.py writes to <out>/trl-run.json. */
export interface TrlRun {
  trainer: string;
  versions: Record<string, string>;
  processes: number;
  device: string;
  steps: number;
  trainSeconds: number;
  /** CPU seconds the Python process spent in training (all its threads). */
  trainCpuSeconds: number;
  /** torch's CPU threads. */
  threads: number;
  trainLoss: number;
  history: Record<string, number>[];
}

/** Runs scale-out/train_sft.py on a job folder (TRL's SFTTrainer, on the CPU) and returns its run summary. */
export async function runTrl(o: TrlRunOptions): Promise<TrlRun & { wallSeconds: number }> {
  const python = o.python ?? VENV_PYTHON;
  checkTrlEnvironment(python);
  const args = [TRL_SCRIPT, "--job", path.resolve(o.job), "--out", path.resolve(o.out), "--cpu"];
  if (o.workbookBatches) args.push("--batch-order", path.join(path.resolve(o.job), "batch-order.json"));
  if (o.stopAfter) args.push("--stop-after", String(o.stopAfter));
  if (o.record) args.push("--record", path.resolve(o.record));
  if (o.noEval) args.push("--no-eval");
  if (o.threads) args.push("--threads", String(o.threads));
  const t0 = performance.now();
  const output: string[] = [];
  const status = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(python, args, {
      cwd: projectPath(),
      env: { ...process.env, HF_HUB_OFFLINE: "1", HF_DATASETS_OFFLINE: "1" },
    });
    const take = (chunk: Buffer) => {
      for (const line of chunk.toString("utf8").split(/\r?\n|\r/)) {
        if (!line.trim()) continue;
        output.push(line);
        o.onOutput?.(line);
      }
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    child.on("error", reject);
    child.on("close", resolve);
  });
  if (status !== 0) throw new Error(`scale-out/train_sft.py failed (exit ${status}):\n${output.slice(-25).join("\n")}`);
  const run = JSON.parse(fs.readFileSync(path.join(o.out, "trl-run.json"), "utf8")) as TrlRun;
  return { ...run, wallSeconds: (performance.now() - t0) / 1000 };
}
