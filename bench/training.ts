// Benchmark: training-step throughput against PyTorch on the same CPU, in the same run.
//
//   npm run bench -- training          writes bench/results/training.json and training.md
//
// One step is what fine-tuning does (src/train/finetune.ts): forward, masked next-token
// cross-entropy (nextTokenLoss), backward (tf.variableGrads), gradient clipping by global norm
// (max 1.0) inside the AdamW update (the workbook's AdamW, weight decay 0.01 on
// matrices and embeddings). The reference is the same step written the ordinary PyTorch way:
// transformers' GPT2LMHeadModel with the same config (dropout 0), loss.backward(),
// clip_grad_norm_, torch.optim.AdamW (bench/training_reference.py).
// Both sides: fp32, random weights and tokens of the same shapes, the same loss mask, every core.
// Each side warms up, then runs steps until the case's targetSeconds have passed (at least MIN_STEPS); the
// median step is reported (a shared machine makes some steps slow; the median ignores them).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../src/index";
import { projectPath } from "../src/runtime/paths";
import { countParameters, gptPreset, type GPTConfig, type GPTPresetName } from "../src/model/config";
import { GPT } from "../src/model/gpt";
import { machineBusySeconds, machineInfo, machineInfoLine, processTreeCpuSeconds } from "../src/runtime/machine";
import { LossGradients } from "../src/train/gradients";
import { AdamW } from "../src/train/optimizer";

export interface Case {
  name: string;
  preset: GPTPresetName;
  batchSize: number;
  seqLen: number;
  /** Leading positions of each row whose tokens do not count (the prompt); 0 = every token counts. */
  promptLen: number;
  warmup: number;
  /** Keep timing steps until this many seconds have passed, at least MIN_STEPS and at most maxSteps. */
  targetSeconds: number;
  maxSteps: number;
}

export const CASES: Case[] = [
  {
    name: "tiny (embedded model)",
    preset: "tiny",
    batchSize: 16,
    seqLen: 128,
    promptLen: 0,
    warmup: 2,
    targetSeconds: 8,
    maxSteps: 20,
  },
  {
    name: "tiny, fine-tuning batch",
    preset: "tiny",
    batchSize: 16,
    seqLen: 64,
    promptLen: 32,
    warmup: 2,
    targetSeconds: 6,
    maxSteps: 20,
  },
  {
    name: "gpt2 (124M)",
    preset: "gpt2",
    batchSize: 4,
    seqLen: 128,
    promptLen: 0,
    warmup: 1,
    targetSeconds: 20,
    maxSteps: 4,
  },
];
const MIN_STEPS = 3;
/** Rounds per side, alternating; the faster round of each side is reported. */
const ROUNDS = 2;
const MAX_GRAD_NORM = 1.0;
const LEARNING_RATE = 1e-4;
const ATTENTION = "sdpa"; // transformers' default attention implementation

/** Seconds of one step, whole and by phase. */
interface StepTime {
  total: number;
  gradients: number;
  clip: number;
  update: number;
}

interface SideResult {
  steps: number;
  /** Median of each phase over the timed steps (seconds); total is the median whole step. */
  median: StepTime;
  meanTotal: number;
  tokensPerSecond: number;
  losses: number[];
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function summarize(steps: (StepTime & { loss: number })[], tokens: number): SideResult {
  const m = {
    total: median(steps.map((s) => s.total)),
    gradients: median(steps.map((s) => s.gradients)),
    clip: median(steps.map((s) => s.clip)),
    update: median(steps.map((s) => s.update)),
  };
  return {
    steps: steps.length,
    median: m,
    meanTotal: steps.reduce((a, s) => a + s.total, 0) / steps.length,
    tokensPerSecond: tokens / m.total,
    losses: steps.map((s) => s.loss),
  };
}

/** (B, T): 0 on the first promptLen positions of each row (the prompt), 1 after (the completion). */
function lossMaskFor(c: Case): tf.Tensor2D {
  return tf.tidy(
    () =>
      tf.concat(
        [tf.zeros([c.batchSize, c.promptLen]), tf.ones([c.batchSize, c.seqLen - c.promptLen])],
        1,
      ) as tf.Tensor2D,
  );
}

/**
 * Our step as src/train/finetune.ts runs it: LossGradients (recorded per batch shape) and AdamW.apply
 * with clipping (one recorded update). With `opByOp`, graph functions are off (WORKBOOK_GRAPH=0):
 * every op is a call from JavaScript, as before they existed.
 */
export function timeOurs(c: Case, config: GPTConfig, opByOp = false): SideResult & { tensorGrowth: number } {
  const saved = process.env.WORKBOOK_GRAPH;
  if (opByOp) process.env.WORKBOOK_GRAPH = "0";
  try {
    const model = new GPT(config, 0);
    const ids = tf.randomUniform([c.batchSize, c.seqLen], 0, config.vocabSize, "int32", 1) as tf.Tensor2D;
    const mask = lossMaskFor(c);
    const opt = new AdamW(model.params, { learningRate: LEARNING_RATE, weightDecay: 0.01 });
    const gradients = new LossGradients(model);
    const lastParam = model.trainableVariables().at(-1)!;
    const step = (): StepTime & { loss: number } => {
      const t0 = performance.now();
      const { loss: value, grads } = gradients.compute(ids, mask);
      const loss = value.dataSync()[0];
      const t1 = performance.now();
      opt.apply(grads, LEARNING_RATE, MAX_GRAD_NORM); // clipping is part of the update
      lastParam.dataSync(); // the update has surely finished
      const t2 = performance.now();
      tf.dispose([value, ...grads.values()]);
      return { total: (t2 - t0) / 1000, gradients: (t1 - t0) / 1000, clip: 0, update: (t2 - t1) / 1000, loss };
    };
    for (let i = 0; i < c.warmup; i++) step();
    const before = tf.memory().numTensors;
    const steps: ReturnType<typeof step>[] = [];
    const started = performance.now();
    while (
      steps.length < Math.max(MIN_STEPS, c.maxSteps) &&
      (steps.length < MIN_STEPS || performance.now() - started < c.targetSeconds * 1000)
    )
      steps.push(step());
    const tensorGrowth = tf.memory().numTensors - before;
    tf.dispose([ids, mask]);
    gradients.dispose();
    opt.dispose();
    model.dispose();
    return { ...summarize(steps, c.batchSize * c.seqLen), tensorGrowth };
  } finally {
    if (saved === undefined) delete process.env.WORKBOOK_GRAPH;
    else process.env.WORKBOOK_GRAPH = saved;
  }
}

/**
 * Floating-point operations of one training step, counted the usual way (Kaplan et al. 2020, as in
 * nanoGPT's MFU): a forward pass does 2 per weight of every matrix product per token (the tied
 * embedding counted once, as the output layer) plus the attention scores and their weighting,
 * 2 x 2 x T x C per token and layer over the full (unmasked) T x T product; backward does twice the
 * forward. Layer norms, softmax and the optimizer are left out (a few percent).
 */
export function trainingStepFlops(config: GPTConfig, batchSize: number, seqLen: number): number {
  const { nLayer: L, nEmbd: C, vocabSize: V } = config;
  const matmulWeights = L * 12 * C * C + V * C; // qkv 3C², proj C², mlp 8C², output layer V C
  const perToken = 2 * matmulWeights + L * 4 * seqLen * C;
  return 3 * perToken * batchSize * seqLen;
}

interface TorchResult extends SideResult {
  torch: string;
  threads: number;
  attention: string;
  processCpuSeconds: number;
}

function timeTorch(c: Case, config: GPTConfig): TorchResult {
  const cfg = {
    vocab_size: config.vocabSize,
    n_positions: config.blockSize,
    n_embd: config.nEmbd,
    n_layer: config.nLayer,
    n_head: config.nHead,
    batch_size: c.batchSize,
    seq_len: c.seqLen,
    prompt_len: c.promptLen,
    warmup: c.warmup,
    min_steps: MIN_STEPS,
    max_steps: Math.max(MIN_STEPS, c.maxSteps),
    target_seconds: c.targetSeconds,
    attn_implementation: ATTENTION,
  };
  const r = spawnSync(
    projectPath(".venv", "bin", "python"),
    [projectPath("bench", "training_reference.py"), JSON.stringify(cfg)],
    { encoding: "utf8", maxBuffer: 16 << 20 },
  );
  if (r.status !== 0)
    throw new Error(`PyTorch benchmark failed (run \`node kernel/setup.mjs --reference\`):\n${r.stderr}`);
  const out = JSON.parse(r.stdout.trim().split("\n").pop()!);
  return {
    ...summarize(out.steps, c.batchSize * c.seqLen),
    torch: out.torch,
    threads: out.threads,
    attention: out.attn_implementation,
    processCpuSeconds: out.process_cpu_seconds,
  };
}

const ms = (seconds: number) => (seconds * 1000).toFixed(0);

export async function runTrainingBenchmark(outDir: string): Promise<void> {
  const choice = await initBackend();
  const machine = machineInfo();
  // How much of the machine other processes took meanwhile: all CPU time used, minus ours and PyTorch's.
  const busyBefore = machineBusySeconds(),
    oursBefore = processTreeCpuSeconds(),
    wallBefore = performance.now();
  const rows = [];
  for (const c of CASES) {
    const config = gptPreset(c.preset);
    const params = countParameters(config);
    console.log(`\n== ${c.name}: ${(params / 1e6).toFixed(2)}M parameters, batch ${c.batchSize} x ${c.seqLen} tokens`);
    // Two rounds, ours and PyTorch alternating, each side's faster round kept: a slow spell of the
    // machine then cannot fall on one side only.
    const oursRounds: ReturnType<typeof timeOurs>[] = [];
    const torchRounds: TorchResult[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      oursRounds.push(timeOurs(c, config));
      torchRounds.push(timeTorch(c, config));
    }
    const ours = oursRounds.reduce((a, b) => (b.median.total < a.median.total ? b : a));
    const torch = torchRounds.reduce((a, b) => (b.median.total < a.median.total ? b : a));
    const opByOp = timeOurs(c, config, true);
    for (const [side, r] of [
      ...oursRounds.map((round) => ["recorded", round] as const),
      ["op-by-op", opByOp] as const,
    ]) {
      if (r.tensorGrowth !== 0)
        throw new Error(`our ${side} training step leaks ${r.tensorGrowth} tensors per ${r.steps} steps`);
    }
    console.log(
      `ours:    ${ms(ours.median.total)} ms/step, ${ours.tokensPerSecond.toFixed(0)} tokens/s (median of ${ours.steps} steps; ` +
        `op by op ${ms(opByOp.median.total)} ms)`,
    );
    console.log(
      `PyTorch: ${ms(torch.median.total)} ms/step, ${torch.tokensPerSecond.toFixed(0)} tokens/s (median of ${torch.steps} steps)`,
    );
    console.log(`ours / PyTorch: ${(ours.tokensPerSecond / torch.tokensPerSecond).toFixed(2)}`);
    rows.push({
      case: c.name,
      preset: c.preset,
      parameters: params,
      batchSize: c.batchSize,
      seqLen: c.seqLen,
      promptLen: c.promptLen,
      ours,
      opByOp,
      torch,
      ratio: ours.tokensPerSecond / torch.tokensPerSecond,
      flopsPerStep: trainingStepFlops(config, c.batchSize, c.seqLen),
    });
  }
  // PyTorch runs in child processes that have ended: processTreeCpuSeconds counts them as ours.
  const others = machineBusySeconds() - busyBefore - (processTreeCpuSeconds() - oursBefore);
  const othersShare = Math.max(0, others / (((performance.now() - wallBefore) / 1000) * machine.cores));
  const date = new Date().toISOString();
  const ref = rows[0].torch;
  const load =
    `other processes used ${(100 * othersShare).toFixed(0)}% of its CPU time during the run ` +
    `(near 0% on a quiet machine; more means both sides' figures are low and noisy)`;
  const md = [
    "# Training benchmark",
    "",
    ...(othersShare > 0.1
      ? [
          `**Not a valid comparison: other processes took ${(100 * othersShare).toFixed(0)}% of the CPU during this run. ` +
            "PyTorch's threads in particular slow down badly when they have to share cores. Re-run on a quiet machine.**",
          "",
        ]
      : []),
    `Run ${date} with \`npm run bench -- training\`. Machine: ${machineInfoLine(machine)}; ${load}.`,
    `Ours: tfjs ${tf.version_core} on ${choice.description}, the workbook's LossGradients (nextTokenLoss and its gradients) and AdamW with clipping, ` +
      "each recorded once and replayed as one TensorFlow function (src/runtime/graph-function.ts); " +
      '"op by op" is the same code with graph functions off (WORKBOOK_GRAPH=0), every op a call from JavaScript. ' +
      `Reference: PyTorch ${ref.torch} (${ref.threads} threads = the core count), transformers GPT2LMHeadModel with the same config ` +
      `(attention "${ref.attention}", dropout 0), clip_grad_norm_, torch.optim.AdamW (default implementation).`,
    "",
    `One training step = forward, masked next-token cross-entropy, backward, gradient clipping by global norm (${MAX_GRAD_NORM}), ` +
      `AdamW update (weight decay 0.01 on matrices and embeddings); fp32, random weights and tokens, the same batch and loss mask on ` +
      `both sides. Median step after warm-up; tokens/s = batch x sequence length / step time (higher is better). ` +
      `Each side ran ${ROUNDS} rounds, alternating with the other; the faster round of each is reported (op by op: one round).`,
    "",
    "| case | parameters | batch x seq | ours ms/step | ours tokens/s | op by op ms/step | PyTorch ms/step | PyTorch tokens/s | ours / PyTorch |",
    "|---|---|---|---|---|---|---|---|---|",
    ...rows.map(
      (r) =>
        `| ${r.case} | ${(r.parameters / 1e6).toFixed(2)}M | ${r.batchSize} x ${r.seqLen}${r.promptLen ? ` (first ${r.promptLen} masked)` : ""} | ` +
        `${ms(r.ours.median.total)} | ${r.ours.tokensPerSecond.toFixed(0)} | ${ms(r.opByOp.median.total)} | ${ms(r.torch.median.total)} | ` +
        `${r.torch.tokensPerSecond.toFixed(0)} | **${r.ratio.toFixed(2)}** |`,
    ),
    "",
    "Where a step's time goes (median ms): loss + gradients (forward, loss, backward), then clipping (global norm and scaling) " +
      "with the AdamW update (ours does both in one recorded function; PyTorch's two are added).",
    "",
    "| case | ours: loss + gradients | ours: clipping + AdamW | op by op: loss + gradients | op by op: clipping + AdamW | PyTorch: loss + gradients | PyTorch: clipping + AdamW |",
    "|---|---|---|---|---|---|---|",
    ...rows.map(
      (r) =>
        `| ${r.case} | ${ms(r.ours.median.gradients)} | ${ms(r.ours.median.update)} | ` +
        `${ms(r.opByOp.median.gradients)} | ${ms(r.opByOp.median.update)} | ` +
        `${ms(r.torch.median.gradients)} | ${ms(r.torch.median.clip + r.torch.median.update)} |`,
    ),
    "",
    `Roofline: the step's achieved GFLOP/s (trainingStepFlops: 6 FLOPs per matrix weight per token plus attention, ` +
      `backward = 2 x forward) as a share of this CPU's fp32 peak of ${machine.peakGflops.toFixed(0)} GFLOP/s (${machine.peakNote}).`,
    "",
    "| case | GFLOP per step | ours GFLOP/s | ours % of peak | PyTorch GFLOP/s | PyTorch % of peak |",
    "|---|---|---|---|---|---|",
    ...rows.map((r) => {
      const rate = (seconds: number) => r.flopsPerStep / seconds / 1e9;
      const share = (seconds: number) => `${((100 * rate(seconds)) / machine.peakGflops).toFixed(1)}%`;
      return (
        `| ${r.case} | ${(r.flopsPerStep / 1e9).toFixed(2)} | ${rate(r.ours.median.total).toFixed(1)} | ${share(r.ours.median.total)} | ` +
        `${rate(r.torch.median.total).toFixed(1)} | ${share(r.torch.median.total)} |`
      );
    }),
    "",
  ].join("\n");
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(
    path.join(outDir, "training.json"),
    `${JSON.stringify(
      {
        date,
        machine,
        machineLine: machineInfoLine(machine),
        otherProcessesCpuShare: othersShare,
        backend: choice,
        tfjs: tf.version_core,
        maxGradNorm: MAX_GRAD_NORM,
        learningRate: LEARNING_RATE,
        cases: CASES,
        rows,
      },
      null,
      2,
    )}\n`,
  );
  fs.writeFileSync(path.join(outDir, "training.md"), md);
  console.log(`\n${md}\nwritten to ${path.join(outDir, "training.{json,md}")}`);
}
