// `npm run scale-out`: the lesson's fine-tuning, here and on Hugging Face TRL, compared on the test split.
//
//   npm run scale-out                          export the job, fine-tune here and with TRL, load TRL's model back, compare
//   npm run scale-out -- --export-only         only write the job folder (data, templates, base model, batch order)
//   npm run scale-out -- --seed 1 --epochs 3 --fresh --results scale-out/results.md
//
// Three models are trained from the same base model and data with the same hyperparameters: ours
// (the workbook's loop), TRL's SFTTrainer with its own shuffling (as a learner would run it on a GPU
// machine), and TRL's SFTTrainer replaying the workbook's batches. Each is loaded here and answers
// the same test prompts; the table has test accuracy (written answers and most likely answer) and
// training time. Everything goes under --out (default runs/scale-out).
import fs from "node:fs";
import path from "node:path";
import { initBackend, type BackendChoice } from "../runtime/backend";
import { machineInfoLine, withOtherProcessesShare } from "../runtime/machine";
import { projectPath } from "../runtime/paths";
import { compareOnTest } from "../eval/comparison";
import { answerSets, evaluateByGeneration, evaluateByLikelihood } from "../eval/evaluate";
import type { AccuracyReport } from "../eval/metrics";
import { loadCheckpoint } from "../model/checkpoint";
import type { GPT } from "../model/gpt";
import { BPETokenizer } from "../model/tokenizer";
import { ensureFinetuned, type FinetunedModel } from "../lesson/finetuned";
import {
  LESSON_HYPERPARAMETERS,
  lessonHyperparameters,
  SINGLE_TASK,
  type LessonHyperparameters,
} from "../lesson/hyperparameters";
import { lessonData, type LessonData } from "../lesson/lesson-data";
import { loadBaseModel, type BaseModel } from "../lesson/base-model";
import { finetuneProgress } from "../lesson/progress";
import { checkTrlEnvironment, exportScaleOutJob, runTrl, type ScaleOutJob, type TrlRun } from "../lesson/scale-out";
import { formatDuration } from "../util/progress-bar";

interface Args {
  out: string;
  results?: string;
  fresh: boolean;
  exportOnly: boolean;
  overrides: Partial<LessonHyperparameters>;
}

/** The command's flags: --out, --results, --fresh, --export-only, and one per lesson hyperparameter (from its rules). */
export function parseScaleOutArgs(argv: readonly string[]): Args {
  const { overrides, extra } = LESSON_HYPERPARAMETERS.fromArgs(argv, {
    extra: {
      out: { type: "string" },
      results: { type: "string" },
      fresh: { type: "boolean" },
      "export-only": { type: "boolean" },
    },
  });
  return {
    out: extra.out ? path.resolve(String(extra.out)) : projectPath("runs", "scale-out"),
    results: extra.results ? path.resolve(String(extra.results)) : undefined,
    fresh: extra.fresh === true,
    exportOnly: extra["export-only"] === true,
    overrides,
  };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const interval = (r: AccuracyReport) => `${pct(r.ci95[0])}-${pct(r.ci95[1])}`;

interface Row {
  model: string;
  trainedBy: string;
  batches: string;
  kept: string;
  written: AccuracyReport;
  likely?: AccuracyReport;
  trainSeconds?: number;
  steps?: number;
  othersShare?: number;
}

function markdown(rows: Row[]): string {
  const lines = [
    "| model | trained by | batches | model kept | test accuracy, written answer (95% interval) | invalid | test accuracy, most likely answer | training time | steps | CPU taken by other processes meanwhile |",
    "|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.model} | ${r.trainedBy} | ${r.batches} | ${r.kept} | ${pct(r.written.accuracy)} (${interval(r.written)}) | ${r.written.invalid} | ` +
        `${r.likely ? pct(r.likely.accuracy) : "-"} | ${r.trainSeconds === undefined ? "-" : `${r.trainSeconds.toFixed(1)} s`} | ${r.steps ?? "-"} | ` +
        `${r.othersShare === undefined ? "-" : `${(100 * r.othersShare).toFixed(0)}%`} |`,
    );
  }
  return lines.join("\n");
}

/** What every step after the export works from: the backend, the lesson's task, its data and base model, and the exported job. */
interface Setup {
  backend: BackendChoice;
  hp: LessonHyperparameters;
  data: LessonData;
  base: BaseModel;
  jobFolder: string;
  job: ScaleOutJob;
}

/** Our fine-tuning: the run (best model, state, folder), the CPU share other processes took meanwhile, its best epoch and its last model. */
interface Ours {
  run: FinetunedModel;
  othersShare: number;
  bestEpoch: number;
  last: GPT;
}

/** One TRL fine-tuning: what it reported, the CPU share other processes took meanwhile, and the folder its model is saved in. */
interface TrlTrained {
  run: TrlRun & { wallSeconds: number };
  othersShare: number;
  folder: string;
}

/** Starts the backend, builds the lesson's task from the flags and exports the job folder, saying where it is and how to train it on a GPU machine. */
async function exportJob(args: Args): Promise<Setup> {
  const backend = await initBackend();
  // The lesson's sentiment task, trained as TRL trains it; flags change it from there.
  const hp = lessonHyperparameters({ ...SINGLE_TASK, ...args.overrides });
  const data = lessonData(hp);
  const base = loadBaseModel();
  const jobFolder = path.join(args.out, "job");
  const job = exportScaleOutJob({ hp, data, base, folder: jobFolder, overwrite: true });
  console.log(
    `[scale-out] job exported to ${path.relative(process.cwd(), jobFolder)}: ${job.counts.train} train / ${job.counts.validation} validation / ` +
      `${job.counts.test} test examples, ${job.counts.steps} steps, base model and tokenizer in base-model/`,
  );
  console.log(
    `[scale-out] train it on a GPU machine: accelerate launch --config_file scale-out/accelerate-multi-gpu.yaml scale-out/train_sft.py --job ${path.relative(process.cwd(), jobFolder)} --out trl-model`,
  );
  return { backend, hp, data, base, jobFolder, job };
}

/** 1. Ours, in this process (a finished run under <out> is reused unless --fresh); also loads its last model for the table. */
async function finetuneOurs(setup: Setup, args: Args): Promise<Ours> {
  const { hp, base, data } = setup;
  const progress = finetuneProgress({ mode: "terminal" });
  const ours = await withOtherProcessesShare(() =>
    ensureFinetuned(hp, base, data, { onEvent: progress.onEvent, fresh: args.fresh, root: args.out }),
  );
  const oursRun = ours.result;
  const bestEpoch = oursRun.state.history.find((h) => h.step === oursRun.state.best?.step)?.epoch ?? NaN;
  console.log(
    `[scale-out] ours: ${oursRun.state.step} steps in ${formatDuration(oursRun.state.elapsedSeconds)}${oursRun.reused ? " (an earlier run, reused)" : ""}`,
  );
  const last = loadCheckpoint(path.join(oursRun.folder, "latest")).model;
  return { run: oursRun, othersShare: ours.othersShare, bestEpoch, last };
}

/** 2. TRL with its own shuffling, then 3. TRL replaying our batches. One at a time: they share the cores. */
async function finetuneWithTrl(out: string, jobFolder: string): Promise<Record<string, TrlTrained>> {
  const trlRuns: Record<string, TrlTrained> = {};
  for (const [name, workbookBatches] of [
    ["trl", false],
    ["trl-workbook-batches", true],
  ] as const) {
    const folder = path.join(out, name);
    console.log(
      `[scale-out] TRL SFTTrainer (${workbookBatches ? "the workbook's batches" : "TRL's own shuffling"}) -> ${path.relative(process.cwd(), folder)}`,
    );
    const m = await withOtherProcessesShare(() =>
      runTrl({
        job: jobFolder,
        out: folder,
        workbookBatches,
        noEval: workbookBatches,
        onOutput: (line) => {
          if (/^\{'(loss|eval_loss)'|train_sft\.py:/.test(line) && !/'loss'/.test(line)) console.log(`  ${line}`);
        },
      }),
    );
    console.log(
      `[scale-out]   ${m.result.steps} steps in ${m.result.trainSeconds.toFixed(1)} s (${m.result.wallSeconds.toFixed(1)} s with start-up), final train loss ${m.result.history.filter((h) => "loss" in h).pop()?.loss}`,
    );
    trlRuns[name] = { run: m.result, othersShare: m.othersShare, folder };
  }
  return trlRuns;
}

/** A model's test accuracy, by its written answer and by its most likely answer. */
type TestScores = { written: AccuracyReport; likely: AccuracyReport };

/** Scores a loaded model on the test split, with the answers every model is held to. */
function testScores(
  model: GPT,
  tokenizer: BPETokenizer,
  data: LessonData,
  answers: ReturnType<typeof answerSets>,
): TestScores {
  return {
    written: evaluateByGeneration(model, tokenizer, data.splits.test, { answers }).report,
    likely: evaluateByLikelihood(model, tokenizer, data.splits.test, { answers }).report,
  };
}

/** The test scores of a model TRL saved, loaded with the tokenizer saved beside it, as a learner would load it. */
function savedModelScores(folder: string, data: LessonData, answers: ReturnType<typeof answerSets>): TestScores {
  const model = loadCheckpoint(folder).model;
  const result = testScores(model, BPETokenizer.fromPretrained(folder), data, answers);
  model.dispose();
  return result;
}

/** Everything answers the same test prompts, scored the same way: one table row per model, in the table's order. */
function scoreOnTest(
  setup: Setup,
  ours: Ours,
  trlRuns: Record<string, TrlTrained>,
  versions: Record<string, string>,
): Row[] {
  const { backend, hp, data, base } = setup;
  const comparison = compareOnTest({
    base: base.model,
    finetuned: ours.run.model,
    tokenizer: base.tokenizer,
    data,
    fewShot: hp.fewShot,
    seed: hp.seed,
  });
  const answers = answerSets([...data.splits.train, ...data.splits.test]);
  const row = (method: string, scoring: string) =>
    comparison.results.find((r) => r.method === method && r.scoring === scoring)!.report;
  const lastEpoch = `last (epoch ${hp.epochs})`;
  const trlRow = (name: string, batches: string): Row => ({
    model: "fine-tuned",
    trainedBy: `TRL SFTTrainer (torch ${versions.torch.replace(/\+.*/, "")}, CPU)`,
    batches,
    kept: lastEpoch,
    ...savedModelScores(trlRuns[name].folder, data, answers),
    trainSeconds: trlRuns[name].run.trainSeconds,
    steps: trlRuns[name].run.steps,
    othersShare: trlRuns[name].othersShare,
  });
  return [
    {
      model: "base, zero-shot",
      trainedBy: "-",
      batches: "-",
      kept: "-",
      written: row("base zero-shot", "generation"),
      likely: row("base zero-shot", "likelihood"),
    },
    {
      model: "fine-tuned",
      trainedBy: `workbook (tfjs, ${backend.name})`,
      batches: "workbook",
      kept: `best validation accuracy (epoch ${ours.bestEpoch.toFixed(0)})`,
      written: row("fine-tuned", "generation"),
      likely: row("fine-tuned", "likelihood"),
      trainSeconds: ours.run.state.elapsedSeconds,
      steps: ours.run.state.step,
      othersShare: ours.othersShare,
    },
    {
      model: "fine-tuned",
      trainedBy: `workbook (tfjs, ${backend.name})`,
      batches: "workbook",
      kept: lastEpoch,
      ...testScores(ours.last, base.tokenizer, data, answers),
      trainSeconds: ours.run.state.elapsedSeconds,
      steps: ours.run.state.step,
      othersShare: ours.othersShare,
    },
    trlRow("trl", "TRL's shuffle"),
    trlRow("trl-workbook-batches", "workbook"),
    {
      model: "bag of words",
      trainedBy: "workbook",
      batches: "-",
      kept: "-",
      written: row("bag of words", "classifier"),
    },
  ];
}

/** The whole run's losses: ours against TRL on the same batches (the test checks the first 20 steps closely), as one sentence. */
function lossComparison(oursRun: FinetunedModel, trlRun: TrlRun): string {
  const trlLosses = new Map(trlRun.history.filter((h) => "loss" in h).map((h) => [h.step, h.loss]));
  const lossDiffs = oursRun.state.history.map(
    (h) => Math.abs(h.trainLoss - (trlLosses.get(h.step) ?? NaN)) / Math.abs(h.trainLoss),
  );
  const worstLoss = lossDiffs.reduce((a, b) => (Number.isNaN(b) || b > a ? b : a), 0);
  const lastOurs = oursRun.state.history[oursRun.state.history.length - 1];
  return (
    `Training losses, the workbook's loop against TRL on the workbook's batches, over all ${lossDiffs.length} steps: ` +
    `largest relative difference ${worstLoss.toExponential(1)} (step ${lossDiffs.indexOf(worstLoss) + 1}); last step ${lastOurs.trainLoss.toPrecision(6)} vs ${trlLosses.get(lastOurs.step)?.toPrecision(6)}.`
  );
}

/** The command as it was typed, for the results page: absolute paths made relative to the current folder. */
function commandLine(): string {
  return `npm run scale-out${
    process.argv.slice(2).length
      ? ` -- ${process.argv
          .slice(2)
          .map((a) => (path.isAbsolute(a) ? path.relative(process.cwd(), a) : a))
          .join(" ")}`
      : ""
  }`;
}

/** The results page: how it was made (command, date, machine, versions, how busy the machine was), the settings, the table and the loss comparison. */
function resultsMarkdown(o: {
  setup: Setup;
  versions: Record<string, string>;
  trlRuns: Record<string, TrlTrained>;
  rows: Row[];
  table: string;
  lossLine: string;
  machine: string;
}): string {
  const { backend, hp, job } = o.setup;
  const { versions } = o;
  const busiest = Math.max(...o.rows.map((r) => r.othersShare ?? 0));
  return [
    "# The lesson's fine-tuning: the workbook's loop and Hugging Face TRL, side by side",
    "",
    `Made by \`${commandLine()}\` on ${new Date().toISOString().slice(0, 10)}. ` +
      `Machine: ${o.machine}. Workbook backend: ${backend.name}. TRL ${versions.trl}, transformers ${versions.transformers}, accelerate ${versions.accelerate}, torch ${versions.torch} ` +
      `(${o.trlRuns.trl.run.threads ?? "?"} threads). Other processes took at most ${(100 * busiest).toFixed(0)}% of the CPU during a training run${busiest > 0.1 ? " (**a busy machine: the times are low and noisy**)" : ""}.`,
    "",
    `Hyperparameters (both sides): ${JSON.stringify({ ...job.finetune })}.`,
    `Data: ${hp.dataset}, templates ${hp.templates.join(", ")}, ${job.counts.train} train / ${job.counts.validation} validation / ${job.counts.test} test examples (seed ${hp.seed}).`,
    "",
    o.table,
    "",
    o.lossLine,
    "",
    "Training time is the training loop alone (the workbook's includes its validation by generation at the end of each epoch; TRL's with its own shuffle includes its validation loss per epoch; TRL's start-up, about 10 s, is not counted). " +
      "TRL keeps the last model; the workbook keeps the best by validation accuracy, and its last model is in the table too.",
    "",
  ].join("\n");
}

/** The results as data (results.json): the settings and each row, its accuracy reports cut to their numbers. */
function resultsJson(setup: Setup, versions: Record<string, string>, rows: Row[], machine: string): string {
  return `${JSON.stringify(
    {
      machine,
      backend: setup.backend.name,
      versions,
      hyperparameters: setup.hp,
      finetune: setup.job.finetune,
      rows: rows.map((r) => ({
        ...r,
        written: { accuracy: r.written.accuracy, ci95: r.written.ci95, invalid: r.written.invalid, n: r.written.n },
        likely: r.likely && { accuracy: r.likely.accuracy, n: r.likely.n },
      })),
    },
    null,
    1,
  )}\n`;
}

/** Writes results.md and results.json under --out, and the page to --results too when given, then says where. */
function writeResults(args: Args, md: string, json: string): void {
  fs.mkdirSync(args.out, { recursive: true });
  fs.writeFileSync(path.join(args.out, "results.md"), md);
  fs.writeFileSync(path.join(args.out, "results.json"), json);
  if (args.results) {
    fs.mkdirSync(path.dirname(args.results), { recursive: true });
    fs.writeFileSync(args.results, md);
  }
  console.log(
    `[scale-out] wrote ${path.relative(process.cwd(), path.join(args.out, "results.md"))}${args.results ? ` and ${path.relative(process.cwd(), args.results)}` : ""}`,
  );
}

/** Export the job; unless --export-only, fine-tune here and with TRL, score every model on the test split, and write the results. */
async function main(): Promise<void> {
  const args = parseScaleOutArgs(process.argv.slice(2));
  const setup = await exportJob(args);
  if (args.exportOnly) {
    setup.base.model.dispose();
    return;
  }
  const versions = checkTrlEnvironment();
  const ours = await finetuneOurs(setup, args);
  const trlRuns = await finetuneWithTrl(args.out, setup.jobFolder);
  const t0 = performance.now();
  const rows = scoreOnTest(setup, ours, trlRuns, versions);
  ours.last.dispose();
  const lossLine = lossComparison(ours.run, trlRuns["trl-workbook-batches"].run);
  console.log(`[scale-out] ${lossLine}`);
  console.log(
    `[scale-out] evaluated ${setup.data.splits.test.length} test examples per model in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  const table = markdown(rows);
  console.log(`\n${table}\n`);
  const machine = machineInfoLine();
  const md = resultsMarkdown({ setup, versions, trlRuns, rows, table, lossLine, machine });
  writeResults(args, md, resultsJson(setup, versions, rows, machine));
  ours.run.model.dispose();
  setup.base.model.dispose();
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
