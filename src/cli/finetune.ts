// `npm run finetune`: instruction-tunes the embedded base model on the lesson's tasks and prints,
// task by task, the base model (zero- and few-shot) against the instruct model and the bag-of-words
// baseline, for one or several seeds; also the judge's own accuracy and what the tuning cost on
// ordinary text (forgetting).
//
//   npm run finetune                              seeds 0, 1 and 2, the lesson's hyperparameters
//   npm run finetune -- --seeds 0 --epochs 3      one seed, another number of epochs
//   npm run finetune -- --lr 3e-4 --templates sentiment-classify,sentiment-liked-yes-no --held-out "" --fresh
//   npm run finetune -- --base path/to/model      another base model (a Hugging Face-format folder)
//   npm run finetune -- --data reviews.tsv --columns amazon-us-reviews \
//       --templates rating-predict,review-write-stars,headline-describe --held-out rating-how-many-stars
//                                                 your own star-rated reviews, the same path
//
// Each seed changes the split, the batch order and the few-shot examples. Runs are saved under
// runs/ (runs/finetune-<hash>) and reused when they are complete unless --fresh is given; the
// comparison is written to runs/comparison/ as JSON and Markdown.
import fs from "node:fs";
import path from "node:path";
import { initBackend } from "../runtime/backend";
import { machineInfoLine } from "../runtime/machine";
import { projectPath } from "../runtime/paths";
import { lessonComparison } from "../lesson/seeds";
import { taskComparisonJson, taskComparisonRows, taskConfusion, type TaskComparison } from "../eval/task-comparison";
import { confusionRows } from "../eval/metrics";
import { seedSummaryRows } from "../eval/seed-summary";
import { measureForgetting, type Forgetting } from "../lesson/forgetting";
import { ensureFinetuned } from "../lesson/finetuned";
import { LESSON_HYPERPARAMETERS, lessonHyperparameters, type LessonHyperparameters } from "../lesson/hyperparameters";
import { lessonData } from "../lesson/lesson-data";
import { loadBaseModel } from "../lesson/base-model";
import { finetuneProgress } from "../lesson/progress";
import { markdownTable } from "../util/markdown-table";
import { formatDuration } from "../util/progress-bar";

interface Args {
  seeds: number[];
  fresh: boolean;
  out: string;
  /** The base model's folder (default: the embedded data/models/review-gpt-base). */
  base?: string;
  overrides: Partial<LessonHyperparameters>;
}

/** The command's flags: --seeds, --fresh, --out, and one per lesson hyperparameter (from its rules). */
export function parseFinetuneArgs(argv: readonly string[]): Args {
  const { overrides, extra } = LESSON_HYPERPARAMETERS.fromArgs(argv, {
    omit: ["seed"], // --seeds runs one fine-tuning per seed
    extra: { seeds: { type: "string" }, fresh: { type: "boolean" }, out: { type: "string" }, base: { type: "string" } },
  });
  const seeds = extra.seeds === undefined ? [0, 1, 2] : String(extra.seeds).split(",").map(Number);
  if (seeds.length === 0 || !seeds.every(Number.isInteger))
    throw new Error("finetune: --seeds takes whole numbers separated by commas, e.g. 0,1,2.");
  return {
    seeds,
    fresh: extra.fresh === true,
    out: extra.out ? path.resolve(String(extra.out)) : projectPath("runs", "comparison"),
    base: extra.base ? path.resolve(String(extra.base)) : undefined,
    overrides,
  };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

interface SeedResult {
  seed: number;
  comparison: TaskComparison;
  forgetting: Forgetting;
  trainSeconds: number;
  bestEpoch: number;
  hp: LessonHyperparameters;
  reused: boolean;
}

/** Per seed: the judge's accuracy on real test reviews and the forgetting figures. */
function sideRows(perSeed: readonly SeedResult[]): Record<string, string | number>[] {
  return perSeed.map((s) => ({
    seed: s.seed,
    "judge accuracy on real test reviews": `${pct(s.comparison.judge.accuracy.accuracy)} of ${s.comparison.judge.accuracy.n}`,
    "held-out text, base (bits/char)": s.forgetting.base.bitsPerCharacter.toFixed(3),
    "held-out text, instruct (bits/char)": s.forgetting.instruct.bitsPerCharacter.toFixed(3),
    "fine-tuning time": formatDuration(s.trainSeconds),
    "best epoch": Number(s.bestEpoch.toFixed(2)),
  }));
}

async function main(): Promise<void> {
  const args = parseFinetuneArgs(process.argv.slice(2));
  const backend = await initBackend();
  const base = loadBaseModel(args.base);
  const perSeed: SeedResult[] = [];
  for (const seed of args.seeds) {
    const hp = lessonHyperparameters({ ...args.overrides, seed }, { contextWindow: base.model.config.blockSize });
    const data = lessonData(hp);
    console.log(
      `\n[finetune] seed ${seed}: ${data.splits.train.length} train / ${data.splits.validation.length} validation / ${data.splits.test.length} test examples (${hp.dataFile || hp.dataset})`,
    );
    console.table(data.tasks);
    const progress = finetuneProgress({ mode: "terminal" });
    const run = await ensureFinetuned(hp, base, data, { onEvent: progress.onEvent, fresh: args.fresh });
    const trainSeconds = run.state.elapsedSeconds;
    const best = run.state.best!;
    const bestEpoch = run.state.history.find((h) => h.step === best.step)?.epoch ?? NaN;
    console.log(
      `[finetune] ${run.reused ? "reused the finished run in" : "saved in"} ${path.relative(process.cwd(), run.folder)}; fine-tuning took ${formatDuration(trainSeconds)}; ` +
        `best validation score ${pct(best.validationScore)} (the mean of the tasks' scores) at epoch ${bestEpoch.toFixed(2)}`,
    );
    const t0 = performance.now();
    const comparison = lessonComparison(hp, base, data, run.model);
    const forgetting = measureForgetting(base.model, run.model, base.tokenizer);
    console.log(
      `[finetune] evaluated ${comparison.testExamples} test examples in ${((performance.now() - t0) / 1000).toFixed(1)} s; ` +
        `the judge agrees with people on ${pct(comparison.judge.accuracy.accuracy)} of ${comparison.judge.accuracy.n} real test reviews`,
    );
    console.table(taskComparisonRows(comparison));
    // Star ratings: where the instruct model's answers go, as a 5 x 5 confusion matrix.
    for (const task of new Set(data.splits.test.map((e) => e.task)))
      if (task === "rating-prediction") {
        console.log(`[finetune] ${task}, instruct model: expected stars (rows) against its answers (columns)`);
        console.table(confusionRows(taskConfusion(comparison, "instruct model", task)));
      }
    perSeed.push({ seed, comparison, forgetting, trainSeconds, bestEpoch, hp, reused: run.reused });
    run.model.dispose();
  }

  const rows = seedSummaryRows(perSeed);
  console.log(`\n[finetune] per task, over seed${args.seeds.length > 1 ? "s" : ""} ${args.seeds.join(", ")}:`);
  console.table(rows);
  const side = sideRows(perSeed);
  console.table(side);
  const times = perSeed
    .map((s) => `seed ${s.seed}: ${formatDuration(s.trainSeconds)}${s.reused ? " (earlier run)" : ""}`)
    .join(", ");
  console.log(`[finetune] fine-tuning time (${backend.name}): ${times}`);

  fs.mkdirSync(args.out, { recursive: true });
  const machine = machineInfoLine();
  const hp = { ...perSeed[0].hp, seed: args.seeds };
  fs.writeFileSync(
    path.join(args.out, "comparison.json"),
    `${JSON.stringify(
      {
        machine,
        backend: backend.name,
        hyperparameters: hp,
        seeds: perSeed.map((s) => ({
          seed: s.seed,
          trainSeconds: s.trainSeconds,
          bestEpoch: s.bestEpoch,
          forgetting: {
            documents: s.forgetting.documents,
            base: s.forgetting.base.bitsPerCharacter,
            instruct: s.forgetting.instruct.bitsPerCharacter,
          },
          ...taskComparisonJson(s.comparison),
        })),
        summary: rows,
      },
      null,
      1,
    )}\n`,
  );
  fs.writeFileSync(
    path.join(args.out, "comparison.md"),
    [
      "# The base model against the instruct model, task by task (test split)",
      "",
      `Made by \`npm run finetune\` on ${machine}, backend ${backend.name}.`,
      "",
      `Hyperparameters: ${JSON.stringify(hp)}`,
      "",
      markdownTable(rows),
      "",
      markdownTable(side),
      "",
      `Fine-tuning time: ${times}.`,
      "",
    ].join("\n"),
  );
  console.log(
    `[finetune] wrote ${path.relative(process.cwd(), path.join(args.out, "comparison.json"))} and comparison.md`,
  );
  base.model.dispose();
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
