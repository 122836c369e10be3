// `npm run finetune`: fine-tunes the embedded base model on the lesson's data and prints the
// comparison with the base model and the bag-of-words baseline, for one or several seeds.
//
//   npm run finetune                              seeds 0, 1 and 2, the lesson's hyperparameters
//   npm run finetune -- --seeds 0 --epochs 3      one seed, another number of epochs
//   npm run finetune -- --lr 3e-4 --templates sentiment-classify,sentiment-liked-yes-no --fresh
//   npm run finetune -- --base path/to/model      another base model (a Hugging Face-format folder)
//
// Each seed changes the split, the batch order and the few-shot examples. Runs are saved under
// runs/ (runs/finetune-<hash>) and reused when they are complete unless --fresh is given; the
// comparison is written to runs/comparison/ as JSON and Markdown.
import fs from "node:fs";
import path from "node:path";
import { initBackend } from "../runtime/backend";
import { machineInfoLine } from "../runtime/machine";
import { projectPath } from "../runtime/paths";
import { compareOnTest, comparisonJson, type Comparison } from "../eval/comparison";
import {
  ensureFinetuned,
  LESSON_HYPERPARAMETERS,
  lessonData,
  lessonHyperparameters,
  loadBaseModel,
  type LessonHyperparameters,
} from "../lesson/experiment";
import { finetuneProgress } from "../lesson/progress";
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

function markdownTable(rows: Record<string, string | number>[]): string {
  const cols = Object.keys(rows[0]);
  return [
    `| ${cols.join(" | ")} |`,
    `|${cols.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${cols.map((c) => r[c]).join(" | ")} |`),
  ].join("\n");
}

/** One row per method and scoring: the accuracy of each seed, their mean and spread. */
export function summaryRows(perSeed: { seed: number; comparison: Comparison }[]): Record<string, string | number>[] {
  const first = perSeed[0].comparison.results;
  return first.map((r, i) => {
    const accs = perSeed.map((s) => s.comparison.results[i].report.accuracy);
    const mean = accs.reduce((a, b) => a + b, 0) / accs.length;
    const sd = Math.sqrt(accs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, accs.length - 1));
    const invalid = perSeed.map((s) => s.comparison.results[i].report.invalid);
    const row: Record<string, string | number> = { method: r.method, scoring: r.scoring };
    perSeed.forEach((s, j) => {
      row[`seed ${s.seed}`] = pct(accs[j]);
    });
    row.mean = pct(mean);
    if (perSeed.length > 1) row["std"] = pct(sd);
    row.invalid = r.scoring === "generation" ? invalid.join(" / ") : "-";
    return row;
  });
}

async function main(): Promise<void> {
  const args = parseFinetuneArgs(process.argv.slice(2));
  const backend = await initBackend();
  const base = loadBaseModel(args.base);
  const perSeed: {
    seed: number;
    comparison: Comparison;
    trainSeconds: number;
    bestEpoch: number;
    hp: LessonHyperparameters;
    reused: boolean;
  }[] = [];
  for (const seed of args.seeds) {
    const hp = lessonHyperparameters({ ...args.overrides, seed });
    const data = lessonData(hp);
    console.log(
      `\n[finetune] seed ${seed}: ${data.splits.train.length} train / ${data.splits.validation.length} validation / ${data.splits.test.length} test examples (${hp.dataset}, ${hp.templates.join(", ")})`,
    );
    const progress = finetuneProgress({ mode: "terminal" });
    const run = await ensureFinetuned(hp, base, data, { onEvent: progress.onEvent, fresh: args.fresh });
    const trainSeconds = run.state.elapsedSeconds;
    const best = run.state.best!;
    const bestEpoch = run.state.history.find((h) => h.step === best.step)?.epoch ?? NaN;
    console.log(
      `[finetune] ${run.reused ? "reused the finished run in" : "saved in"} ${path.relative(process.cwd(), run.folder)}; fine-tuning took ${formatDuration(trainSeconds)}; ` +
        `best validation accuracy ${pct(best.validationAccuracy)} at epoch ${bestEpoch.toFixed(2)}`,
    );
    const t0 = performance.now();
    const comparison = compareOnTest({
      base: base.model,
      finetuned: run.model,
      tokenizer: base.tokenizer,
      data,
      fewShot: hp.fewShot,
      seed,
    });
    console.log(
      `[finetune] evaluated ${comparison.testExamples} test examples in ${((performance.now() - t0) / 1000).toFixed(1)} s (chance: ${pct(comparison.chance)})`,
    );
    console.table(
      comparison.results.map((r) => ({
        method: r.method,
        scoring: r.scoring,
        accuracy: pct(r.report.accuracy),
        "95% interval": `${pct(r.report.ci95[0])}-${pct(r.report.ci95[1])}`,
        invalid: r.report.invalid,
      })),
    );
    perSeed.push({ seed, comparison, trainSeconds, bestEpoch, hp, reused: run.reused });
    run.model.dispose();
  }

  const rows = summaryRows(perSeed);
  console.log(`\n[finetune] test accuracy over seed${args.seeds.length > 1 ? "s" : ""} ${args.seeds.join(", ")}:`);
  console.table(rows);
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
          ...comparisonJson(s.comparison),
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
      "# Base model vs fine-tuned vs bag of words (test accuracy)",
      "",
      `Made by \`npm run finetune\` on ${machine}, backend ${backend.name}.`,
      "",
      `Hyperparameters: ${JSON.stringify(hp)}`,
      "",
      markdownTable(rows),
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
