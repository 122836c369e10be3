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
import { initBackend } from "../runtime/backend";
import { machineInfoLine, withOtherProcessesShare } from "../runtime/machine";
import { projectPath } from "../runtime/paths";
import { compareOnTest } from "../eval/comparison";
import { answerSets, evaluateByGeneration, evaluateByLikelihood } from "../eval/evaluate";
import type { AccuracyReport } from "../eval/metrics";
import { loadCheckpoint } from "../model/checkpoint";
import type { GPT } from "../model/gpt";
import { BPETokenizer } from "../model/tokenizer";
import { ensureFinetuned } from "../lesson/finetuned";
import { LESSON_HYPERPARAMETERS, lessonHyperparameters, SINGLE_TASK, type LessonHyperparameters } from "../lesson/hyperparameters";
import { lessonData } from "../lesson/lesson-data";
import { loadBaseModel } from "../lesson/base-model";
import { finetuneProgress } from "../lesson/progress";
import { checkTrlEnvironment, exportScaleOutJob, runTrl, type TrlRun } from "../lesson/scale-out";
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

async function main(): Promise<void> {
  const args = parseScaleOutArgs(process.argv.slice(2));
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
  if (args.exportOnly) {
    base.model.dispose();
    return;
  }
  const versions = checkTrlEnvironment();

  // 1. Ours, in this process (a finished run under <out> is reused unless --fresh).
  const progress = finetuneProgress({ mode: "terminal" });
  const ours = await withOtherProcessesShare(() =>
    ensureFinetuned(hp, base, data, { onEvent: progress.onEvent, fresh: args.fresh, root: args.out }),
  );
  const oursRun = ours.result;
  const bestEpoch = oursRun.state.history.find((h) => h.step === oursRun.state.best?.step)?.epoch ?? NaN;
  console.log(
    `[scale-out] ours: ${oursRun.state.step} steps in ${formatDuration(oursRun.state.elapsedSeconds)}${oursRun.reused ? " (an earlier run, reused)" : ""}`,
  );
  const oursLast = loadCheckpoint(path.join(oursRun.folder, "latest")).model;

  // 2. TRL with its own shuffling, then 3. TRL replaying our batches. One at a time: they share the cores.
  const trlRuns: Record<string, { run: TrlRun & { wallSeconds: number }; othersShare: number; folder: string }> = {};
  for (const [name, workbookBatches] of [
    ["trl", false],
    ["trl-workbook-batches", true],
  ] as const) {
    const folder = path.join(args.out, name);
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

  // Everything answers the same test prompts, scored the same way.
  const t0 = performance.now();
  const comparison = compareOnTest({
    base: base.model,
    finetuned: oursRun.model,
    tokenizer: base.tokenizer,
    data,
    fewShot: hp.fewShot,
    seed: hp.seed,
  });
  const answers = answerSets([...data.splits.train, ...data.splits.test]);
  const scores = (model: GPT, tokenizer: BPETokenizer) => ({
    written: evaluateByGeneration(model, tokenizer, data.splits.test, { answers }).report,
    likely: evaluateByLikelihood(model, tokenizer, data.splits.test, { answers }).report,
  });
  const evaluate = (folder: string) => {
    const model = loadCheckpoint(folder).model;
    // The tokenizer saved with TRL's model, as a learner would load it.
    const result = scores(model, BPETokenizer.fromPretrained(folder));
    model.dispose();
    return result;
  };
  const row = (method: string, scoring: string) =>
    comparison.results.find((r) => r.method === method && r.scoring === scoring)!.report;
  const lastEpoch = `last (epoch ${hp.epochs})`;
  const rows: Row[] = [
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
      kept: `best validation accuracy (epoch ${bestEpoch.toFixed(0)})`,
      written: row("fine-tuned", "generation"),
      likely: row("fine-tuned", "likelihood"),
      trainSeconds: oursRun.state.elapsedSeconds,
      steps: oursRun.state.step,
      othersShare: ours.othersShare,
    },
    {
      model: "fine-tuned",
      trainedBy: `workbook (tfjs, ${backend.name})`,
      batches: "workbook",
      kept: lastEpoch,
      ...scores(oursLast, base.tokenizer),
      trainSeconds: oursRun.state.elapsedSeconds,
      steps: oursRun.state.step,
      othersShare: ours.othersShare,
    },
    {
      model: "fine-tuned",
      trainedBy: `TRL SFTTrainer (torch ${versions.torch.replace(/\+.*/, "")}, CPU)`,
      batches: "TRL's shuffle",
      kept: lastEpoch,
      ...evaluate(trlRuns.trl.folder),
      trainSeconds: trlRuns.trl.run.trainSeconds,
      steps: trlRuns.trl.run.steps,
      othersShare: trlRuns.trl.othersShare,
    },
    {
      model: "fine-tuned",
      trainedBy: `TRL SFTTrainer (torch ${versions.torch.replace(/\+.*/, "")}, CPU)`,
      batches: "workbook",
      kept: lastEpoch,
      ...evaluate(trlRuns["trl-workbook-batches"].folder),
      trainSeconds: trlRuns["trl-workbook-batches"].run.trainSeconds,
      steps: trlRuns["trl-workbook-batches"].run.steps,
      othersShare: trlRuns["trl-workbook-batches"].othersShare,
    },
    {
      model: "bag of words",
      trainedBy: "workbook",
      batches: "-",
      kept: "-",
      written: row("bag of words", "classifier"),
    },
  ];
  oursLast.dispose();
  // The whole run's losses: ours against TRL on the same batches (the test checks the first 20 steps closely).
  const trlLosses = new Map(
    trlRuns["trl-workbook-batches"].run.history.filter((h) => "loss" in h).map((h) => [h.step, h.loss]),
  );
  const lossDiffs = oursRun.state.history.map(
    (h) => Math.abs(h.trainLoss - (trlLosses.get(h.step) ?? NaN)) / Math.abs(h.trainLoss),
  );
  const worstLoss = lossDiffs.reduce((a, b) => (Number.isNaN(b) || b > a ? b : a), 0);
  const lastOurs = oursRun.state.history[oursRun.state.history.length - 1];
  const lossLine =
    `Training losses, the workbook's loop against TRL on the workbook's batches, over all ${lossDiffs.length} steps: ` +
    `largest relative difference ${worstLoss.toExponential(1)} (step ${lossDiffs.indexOf(worstLoss) + 1}); last step ${lastOurs.trainLoss.toPrecision(6)} vs ${trlLosses.get(lastOurs.step)?.toPrecision(6)}.`;
  console.log(`[scale-out] ${lossLine}`);
  console.log(
    `[scale-out] evaluated ${data.splits.test.length} test examples per model in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  const table = markdown(rows);
  console.log(`\n${table}\n`);

  const machine = machineInfoLine();
  const busiest = Math.max(...rows.map((r) => r.othersShare ?? 0));
  const md = [
    "# The lesson's fine-tuning: the workbook's loop and Hugging Face TRL, side by side",
    "",
    `Made by \`npm run scale-out${
      process.argv.slice(2).length
        ? ` -- ${process.argv
            .slice(2)
            .map((a) => (path.isAbsolute(a) ? path.relative(process.cwd(), a) : a))
            .join(" ")}`
        : ""
    }\` on ${new Date().toISOString().slice(0, 10)}. ` +
      `Machine: ${machine}. Workbook backend: ${backend.name}. TRL ${versions.trl}, transformers ${versions.transformers}, accelerate ${versions.accelerate}, torch ${versions.torch} ` +
      `(${trlRuns.trl.run.threads ?? "?"} threads). Other processes took at most ${(100 * busiest).toFixed(0)}% of the CPU during a training run${busiest > 0.1 ? " (**a busy machine: the times are low and noisy**)" : ""}.`,
    "",
    `Hyperparameters (both sides): ${JSON.stringify({ ...job.finetune })}.`,
    `Data: ${hp.dataset}, templates ${hp.templates.join(", ")}, ${job.counts.train} train / ${job.counts.validation} validation / ${job.counts.test} test examples (seed ${hp.seed}).`,
    "",
    table,
    "",
    lossLine,
    "",
    "Training time is the training loop alone (the workbook's includes its validation by generation at the end of each epoch; TRL's with its own shuffle includes its validation loss per epoch; TRL's start-up, about 10 s, is not counted). " +
      "TRL keeps the last model; the workbook keeps the best by validation accuracy, and its last model is in the table too.",
    "",
  ].join("\n");
  fs.mkdirSync(args.out, { recursive: true });
  fs.writeFileSync(path.join(args.out, "results.md"), md);
  fs.writeFileSync(
    path.join(args.out, "results.json"),
    `${JSON.stringify(
      {
        machine,
        backend: backend.name,
        versions,
        hyperparameters: hp,
        finetune: job.finetune,
        rows: rows.map((r) => ({
          ...r,
          written: { accuracy: r.written.accuracy, ci95: r.written.ci95, invalid: r.written.invalid, n: r.written.n },
          likely: r.likely && { accuracy: r.likely.accuracy, n: r.likely.n },
        })),
      },
      null,
      1,
    )}\n`,
  );
  if (args.results) {
    fs.mkdirSync(path.dirname(args.results), { recursive: true });
    fs.writeFileSync(args.results, md);
  }
  console.log(
    `[scale-out] wrote ${path.relative(process.cwd(), path.join(args.out, "results.md"))}${args.results ? ` and ${path.relative(process.cwd(), args.results)}` : ""}`,
  );
  oursRun.model.dispose();
  base.model.dispose();
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
