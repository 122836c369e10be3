// The arithmetic of a fine-tuning run, worked out before it starts: which examples it trains on
// (tokenized with their loss masks, the too-long ones left out), how they fall into batches, the
// steps per epoch and in all, the warm-up, and the learning rate at every step. finetune() runs
// exactly this plan, so a notebook can show it first and the run then takes the steps it promised.
//
//   const { examples, plan } = prepareTraining(data.splits.train, tokenizer, config);
//   showTable(planRows(plan));                    // examples / batch size = steps per epoch, x epochs = steps
//   const batches = epochBatchesOf(examples, config, 0, tokenizer.eosTokenId, model.config.blockSize);
import type { FinetuneConfig } from "./finetune-config";
import { learningRateAt, type ScheduleConfig } from "./optimizer";
import { epochBatches, tokenizeExamples, type Batch, type TokenizedExample } from "./sft-batches";

/**
 * Training batches are padded to a multiple of this many positions: a handful of batch shapes, each
 * recorded once as a TensorFlow function, instead of one per length (each recording costs about two
 * op-by-op steps). The padding is masked out; it costs a few percent more arithmetic.
 */
export const PAD_TO_MULTIPLE_OF = 16;

export interface TrainingPlan {
  /** Examples offered, and how many were left out as longer than maxLength. */
  offered: number;
  skipped: number;
  /** Examples trained on: offered - skipped. */
  trainExamples: number;
  batchSize: number;
  gradAccumulation: number;
  /** ceil(trainExamples / batchSize): forward and backward passes per epoch. */
  batchesPerEpoch: number;
  /** ceil(batchesPerEpoch / gradAccumulation): optimizer steps per epoch. */
  stepsPerEpoch: number;
  epochs: number;
  /** stepsPerEpoch x epochs. */
  totalSteps: number;
  /** Steps of linear warm-up: warmupFraction x totalSteps, rounded. */
  warmupSteps: number;
  warmupFraction: number;
  /** The learning rate schedule (warm-up, then cosine decay to minLearningRate). */
  schedule: Required<ScheduleConfig>;
  /** Tokens the loss grades in one epoch: every answer token and the end-of-text after it. */
  gradedTokensPerEpoch: number;
  /** Tokens read in one epoch (prompts, answers and end-of-text; padding not counted). */
  tokensPerEpoch: number;
}

/** The plan of a run over `examples` (already tokenized, too-long ones left out) with this config. */
export function trainingPlan(config: FinetuneConfig, examples: readonly TokenizedExample[], skipped = 0): TrainingPlan {
  const batchesPerEpoch = Math.ceil(examples.length / config.batchSize);
  const stepsPerEpoch = Math.ceil(batchesPerEpoch / config.gradAccumulation);
  const totalSteps = stepsPerEpoch * config.epochs;
  const warmupSteps = Math.round(config.warmupFraction * totalSteps);
  return {
    offered: examples.length + skipped,
    skipped,
    trainExamples: examples.length,
    batchSize: config.batchSize,
    gradAccumulation: config.gradAccumulation,
    batchesPerEpoch,
    stepsPerEpoch,
    epochs: config.epochs,
    totalSteps,
    warmupSteps,
    warmupFraction: config.warmupFraction,
    schedule: {
      warmupSteps,
      totalSteps,
      learningRate: config.learningRate,
      minLearningRate: config.learningRate * config.minLearningRateRatio,
    },
    gradedTokensPerEpoch: examples.reduce((n, e) => n + e.completionTokens + 1, 0),
    tokensPerEpoch: examples.reduce((n, e) => n + e.inputIds.length, 0),
  };
}

/**
 * The example with its loss mask spread evenly over its graded tokens (each 1 / their number), so
 * that the batch's loss, the mask-weighted mean, is the mean over examples of each one's own mean:
 * a written review (20 graded tokens) then counts as much as a label (2 tokens), not ten times more.
 */
export function weightedByExample(e: TokenizedExample): TokenizedExample {
  const graded = e.lossMask.reduce((a, b) => a + b, 0);
  return graded === 0 ? e : { ...e, lossMask: e.lossMask.map((m) => m / graded) };
}

/** The examples as the loss weighs them: each one's mask spread over its graded tokens with "example" weighting, unchanged with "token". */
export function lossWeighted(
  examples: readonly TokenizedExample[],
  lossWeighting: FinetuneConfig["lossWeighting"],
): TokenizedExample[] {
  return lossWeighting === "example" ? examples.map(weightedByExample) : [...examples];
}

export interface PreparedTraining {
  /** The training examples as the loss sees them: tokenized, masked, weighted by config.lossWeighting. */
  examples: TokenizedExample[];
  plan: TrainingPlan;
}

/**
 * Training examples, tokenized with their loss masks (those longer than maxLength left out, counted)
 * and weighted as config.lossWeighting says, with the plan of the run over them.
 */
export function prepareTraining(
  train: readonly { prompt: string; completion: string; sourceId?: string }[] | readonly TokenizedExample[],
  tokenizer: { encode(text: string): number[]; eosTokenId?: number },
  config: FinetuneConfig,
): PreparedTraining {
  const alreadyTokenized = train.length > 0 && "inputIds" in train[0];
  const { examples: tokenized, skipped } = alreadyTokenized
    ? { examples: train as readonly TokenizedExample[], skipped: 0 }
    : tokenizeExamples(train as { prompt: string; completion: string }[], tokenizer, {
        maxLength: config.maxLength,
        onTooLong: "skip",
      });
  return { examples: lossWeighted(tokenized, config.lossWeighting), plan: trainingPlan(config, tokenized, skipped) };
}

/** The batches of one epoch (0-based), in the order the run takes them. */
export function epochBatchesOf(
  examples: readonly TokenizedExample[],
  config: FinetuneConfig,
  epoch: number,
  padId: number,
  contextWindow: number,
): Batch[] {
  return epochBatches(examples, {
    batchSize: config.batchSize,
    seed: config.seed,
    epoch,
    padId,
    padToMultipleOf: PAD_TO_MULTIPLE_OF,
    maxLength: contextWindow,
  });
}

/** Positions the loss grades in a batch: the mask after the one-position shift of next-token prediction, counted (not weighted). */
export function gradedPositions(batch: Batch): number {
  return batch.lossMask.reduce((n, row) => n + row.slice(1).filter((m) => m > 0).length, 0);
}

/** ": every batch is full", or ": one batch has 10 examples" (the remainder). */
function lastBatch(plan: TrainingPlan): string {
  const rest = plan.trainExamples - (plan.batchesPerEpoch - 1) * plan.batchSize;
  return rest === plan.batchSize ? ": every batch is full" : `: one batch has ${rest} example${rest === 1 ? "" : "s"}`;
}

/** Rows for showTable: the plan spelled out, each number with the arithmetic that gives it. */
export function planRows(plan: TrainingPlan): { quantity: string; value: string; "worked out": string }[] {
  const n = (x: number) => x.toLocaleString("en-US");
  const rows: [string, number | string, string][] = [
    [
      "training examples",
      plan.trainExamples,
      plan.skipped ? `${n(plan.offered)} - ${n(plan.skipped)} too long` : "the training split",
    ],
    ["batch size", plan.batchSize, "examples per forward and backward pass"],
  ];
  if (plan.gradAccumulation > 1) {
    rows.push(["batches per epoch", plan.batchesPerEpoch, `ceil(${n(plan.trainExamples)} / ${plan.batchSize})`]);
    rows.push([
      "steps per epoch",
      plan.stepsPerEpoch,
      `ceil(${n(plan.batchesPerEpoch)} / ${plan.gradAccumulation} batches per step)`,
    ]);
  } else {
    rows.push([
      "steps per epoch",
      plan.stepsPerEpoch,
      `ceil(${n(plan.trainExamples)} / ${plan.batchSize})${lastBatch(plan)}`,
    ]);
  }
  rows.push(
    ["epochs", plan.epochs, "passes over every training example"],
    ["steps in all", plan.totalSteps, `${n(plan.stepsPerEpoch)} x ${plan.epochs}`],
    [
      "warm-up steps",
      plan.warmupSteps,
      `${n(plan.totalSteps)} x ${plan.warmupFraction} = ${Number((plan.totalSteps * plan.warmupFraction).toFixed(2))}, rounded`,
    ],
    ["tokens read per epoch", plan.tokensPerEpoch, "prompts, answers and end-of-text (padding aside)"],
    ["tokens graded per epoch", plan.gradedTokensPerEpoch, "answer tokens and one end-of-text per example"],
  );
  return rows.map(([quantity, value, worked]) => ({
    quantity,
    value: typeof value === "number" ? n(value) : value,
    "worked out": worked,
  }));
}

/** The learning rate at every optimizer step of the plan: x = step (1-based), y = rate. */
export function learningRateCurve(plan: TrainingPlan): { steps: number[]; rates: number[] } {
  const steps = Array.from({ length: plan.totalSteps }, (_, i) => i + 1);
  return { steps, rates: steps.map((s) => learningRateAt(s, plan.schedule)) };
}
