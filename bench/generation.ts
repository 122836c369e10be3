// Benchmark: greedy generation speed, with and without the key/value cache, against transformers
// (PyTorch) on the same CPU in the same run.
//
//   npm run bench -- generation        writes bench/results/generation.json and generation.md
//
// Both sides use random weights of the same config (speed does not depend on the values), fp32,
// one sequence, a 16-token prompt, and generate exactly N new tokens (no early stop).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../src/index";
import { backendChoice } from "../src/runtime/backend";
import { projectPath } from "../src/runtime/paths";
import { gptPreset, type GPTConfig } from "../src/model/config";
import { XLA_FROM_NEW_TOKENS } from "../src/model/decoder";
import { generate, type TextCodec } from "../src/model/generate";
import { generateBatch } from "../src/model/generate-batch";
import { BASE_MODEL_DIR, loadBaseModel } from "../src/lesson/base-model";
import { lessonData } from "../src/lesson/lesson-data";
import { lessonHyperparameters, SINGLE_TASK } from "../src/lesson/hyperparameters";
import { GPT } from "../src/model/gpt";
import { machineInfo } from "../src/runtime/machine";
import { matMul2D } from "../src/runtime/matmul";
import { median } from "./training";

interface Case {
  name: string;
  config: GPTConfig;
  newTokens: number;
  repeats: number;
}

const CASES: Case[] = [
  { name: "small (6.9M)", config: gptPreset("small"), newTokens: 64, repeats: 3 },
  { name: "gpt2 (124M)", config: gptPreset("gpt2"), newTokens: 32, repeats: 1 },
];
const PROMPT_LEN = 16;

const idsCodec: TextCodec = { encode: () => [], decode: () => "" };

/** Runs f with an environment variable set (graph functions or XLA off), restoring it after. */
function withEnv<T>(name: string, value: string | undefined, f: () => T): T {
  const saved = process.env[name];
  if (value !== undefined) process.env[name] = value;
  try {
    return f();
  } finally {
    if (saved === undefined) delete process.env[name];
    else process.env[name] = saved;
  }
}
/** Runs f with graph functions off (WORKBOOK_GRAPH=0) when opByOp: every op a call from JavaScript. */
const withGraph = <T>(opByOp: boolean, f: () => T): T => withEnv("WORKBOOK_GRAPH", opByOp ? "0" : undefined, f);

function timeOurs(model: GPT, prompt: number[], newTokens: number, useCache: boolean, repeats: number): number {
  // Warm-up at full length: the same shapes, so recordings and XLA compiles happen here, not in the timing.
  generate(model, idsCodec, prompt, { maxNewTokens: newTokens, stopTokenIds: [], useCache });
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    const g = generate(model, idsCodec, prompt, { maxNewTokens: newTokens, stopTokenIds: [], useCache });
    times.push((performance.now() - t0) / 1000);
    if (g.ids.length !== newTokens) throw new Error(`generated ${g.ids.length} tokens, expected ${newTokens}`);
  }
  times.sort((a, b) => a - b);
  return newTokens / times[Math.floor(times.length / 2)];
}

function timeTransformers(c: Case): {
  cache: { tokens_per_second: number };
  no_cache: { tokens_per_second: number };
  torch: string;
  threads: number;
} {
  const cfg = {
    vocab_size: c.config.vocabSize,
    n_positions: c.config.blockSize,
    n_embd: c.config.nEmbd,
    n_layer: c.config.nLayer,
    n_head: c.config.nHead,
    prompt_len: PROMPT_LEN,
    new_tokens: c.newTokens,
    repeats: c.repeats,
  };
  const r = spawnSync(
    projectPath(".venv", "bin", "python"),
    [projectPath("bench", "generation_reference.py"), JSON.stringify(cfg)],
    { encoding: "utf8", maxBuffer: 16 << 20 },
  );
  if (r.status !== 0)
    throw new Error(`transformers benchmark failed (run \`node kernel/setup.mjs --reference\`):\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

/**
 * The profile of a gpt2 decoding step: one row times each of its weight matrices (the step is
 * little else), ours (TensorFlow's MatMul, as model/layers.ts runs it) against PyTorch's x @ w.
 */
const GEMV_SHAPES: [number, number, boolean][] = [
  [768, 2304, false], // attention q, k, v
  [768, 768, false], // attention output
  [768, 3072, false], // MLP in
  [3072, 768, false], // MLP out
  [768, 50257, true], // output layer (the tied embedding, transposed)
];

function timeGemv(repeats = 40) {
  const ours = GEMV_SHAPES.map(([k, n, transposed]) => {
    const x = tf.randomNormal([1, k]) as tf.Tensor2D;
    const w = tf.randomNormal(transposed ? [n, k] : [k, n]) as tf.Tensor2D;
    const run = () => {
      const y = matMul2D(x, w, false, transposed);
      y.dataSync();
      y.dispose();
    };
    for (let i = 0; i < 5; i++) run();
    const t0 = performance.now();
    for (let i = 0; i < repeats; i++) run();
    tf.dispose([x, w]);
    return (performance.now() - t0) / 1000 / repeats;
  });
  const r = spawnSync(
    projectPath(".venv", "bin", "python"),
    [projectPath("bench", "generation_reference.py"), JSON.stringify({ gemv: GEMV_SHAPES, repeats })],
    { encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(`PyTorch matrix-vector benchmark failed:\n${r.stderr}`);
  const torch: number[] = JSON.parse(r.stdout.trim().split("\n").pop()!).seconds;
  return GEMV_SHAPES.map(([k, n, transposed], i) => ({ k, n, transposed, ours: ours[i], torch: torch[i] }));
}

/** The lesson's evaluation by generation, ours against transformers on the same model and prompts. */
function timeLessonEvaluation(outDir: string) {
  const repeats = 3;
  const batchSize = 32;
  // The lesson's sentiment task: short written answers, the evaluation this benchmark times.
  const hp = lessonHyperparameters({ ...SINGLE_TASK });
  const { model, tokenizer } = loadBaseModel();
  const test = lessonData(hp).splits.test;
  const prompts = test.map((e) => tokenizer.encode(e.prompt));
  const answers = [...new Set(test.map((e) => e.completion.trim()))];
  const maxNewTokens = Math.max(...answers.map((a) => tokenizer.encode(` ${a}`).length)) + 1;
  const eos = tokenizer.eosTokenId!;
  const run = () => generateBatch(model, tokenizer, prompts, { maxNewTokens, batchSize, stopTokenIds: [eos] });
  const time = (opByOp: boolean) =>
    withGraph(opByOp, () => {
      run(); // warm-up (and the recording of the decoding steps)
      const times: number[] = [];
      for (let i = 0; i < repeats; i++) {
        const t0 = performance.now();
        run();
        times.push((performance.now() - t0) / 1000);
      }
      return prompts.length / median(times);
    });
  const ours = time(false);
  const opByOp = time(true);
  const oursOutputs = run().map((g) => g.ids);
  model.dispose();
  console.log(`lesson evaluation: ours ${ours.toFixed(1)} examples/s (op by op ${opByOp.toFixed(1)})`);
  const job = path.join(outDir, ".evaluation-prompts.json");
  fs.writeFileSync(
    job,
    JSON.stringify({
      model_dir: BASE_MODEL_DIR,
      prompts,
      batch_size: batchSize,
      max_new_tokens: maxNewTokens,
      eos_token_id: eos,
    }),
  );
  const r = spawnSync(
    projectPath(".venv", "bin", "python"),
    [projectPath("bench", "generation_reference.py"), JSON.stringify({ prompts_file: job, repeats })],
    { encoding: "utf8", maxBuffer: 64 << 20 },
  );
  fs.rmSync(job, { force: true });
  if (r.status !== 0) throw new Error(`transformers evaluation benchmark failed:\n${r.stderr}`);
  const hf = JSON.parse(r.stdout.trim().split("\n").pop()!);
  const sameAnswers = oursOutputs.filter((ids, i) => ids.join(",") === hf.outputs[i].join(",")).length;
  console.log(
    `lesson evaluation: transformers ${hf.examples_per_second.toFixed(1)} examples/s; same answers ${sameAnswers}/${prompts.length}`,
  );
  return {
    examples: prompts.length,
    batchSize,
    maxNewTokens,
    repeats,
    ours,
    opByOp,
    hf: hf.examples_per_second as number,
    sameAnswers,
  };
}

export async function runGenerationBenchmark(outDir: string): Promise<void> {
  await initBackend();
  const machine = machineInfo();
  const rows = [];
  for (const c of CASES) {
    console.log(`\n== ${c.name}`);
    const model = new GPT(c.config, 0);
    const prompt = Array.from({ length: PROMPT_LEN }, (_, i) => (i * 7919) % c.config.vocabSize);
    const oursCache = timeOurs(model, prompt, c.newTokens, true, c.repeats);
    console.log(`ours, cache: ${oursCache.toFixed(1)} tokens/s`);
    const oursCacheNoXla = withEnv("WORKBOOK_XLA", "0", () => timeOurs(model, prompt, c.newTokens, true, c.repeats));
    console.log(`ours, cache, without XLA: ${oursCacheNoXla.toFixed(1)} tokens/s`);
    const oursCacheOpByOp = withGraph(true, () => timeOurs(model, prompt, c.newTokens, true, c.repeats));
    console.log(`ours, cache, op by op: ${oursCacheOpByOp.toFixed(1)} tokens/s`);
    const oursNoCache = timeOurs(model, prompt, c.newTokens, false, c.repeats);
    console.log(`ours, no cache: ${oursNoCache.toFixed(1)} tokens/s`);
    model.dispose();
    const hf = timeTransformers(c);
    console.log(
      `transformers, cache: ${hf.cache.tokens_per_second.toFixed(1)}; no cache: ${hf.no_cache.tokens_per_second.toFixed(1)} tokens/s`,
    );
    rows.push({
      case: c.name,
      newTokens: c.newTokens,
      oursCache,
      oursCacheNoXla,
      oursCacheOpByOp,
      oursNoCache,
      hfCache: hf.cache.tokens_per_second,
      hfNoCache: hf.no_cache.tokens_per_second,
      torch: hf.torch,
      torchThreads: hf.threads,
    });
  }
  const evaluation = timeLessonEvaluation(outDir);
  const gemv = timeGemv();
  const date = new Date().toISOString();
  const choice = backendChoice()!;
  const md = [
    "# Generation benchmark",
    "",
    `Run ${date} with \`npm run bench -- generation\`. Machine: ${machine.cpuModel}, ${machine.cores} cores at ${machine.mhz} MHz, ` +
      `Node ${machine.node}. Ours: tfjs ${tf.version_core} on ${choice.description}. Reference: transformers GPT2LMHeadModel on torch ${rows[0]?.torch} (${rows[0]?.torchThreads} threads).`,
    "",
    `Greedy decoding of one sequence from a ${PROMPT_LEN}-token prompt, random weights, fp32; new tokens per second (higher is better). ` +
      "Ours with the cache decodes with one recorded TensorFlow function per step (src/model/decoder.ts), compiled with XLA " +
      `for generations of ${XLA_FROM_NEW_TOKENS} tokens or more as the workbook does (the compile happens in the warm-up); ` +
      '"without XLA" sets WORKBOOK_XLA=0; "op by op" is the same code with graph functions off (WORKBOOK_GRAPH=0). ' +
      "Without the cache, every step re-runs the whole sequence op by op.",
    "",
    "| model | new tokens | ours, cache | ours, cache, without XLA | ours, cache, op by op | ours, no cache | transformers, cache | transformers, no cache | ours / transformers (cache) | ours / transformers (no cache) |",
    "|---|---|---|---|---|---|---|---|---|---|",
    ...rows.map(
      (r) =>
        `| ${r.case} | ${r.newTokens} | ${r.oursCache.toFixed(1)} | ${r.oursCacheNoXla.toFixed(1)} | ${r.oursCacheOpByOp.toFixed(1)} | ${r.oursNoCache.toFixed(1)} | ` +
        `${r.hfCache.toFixed(1)} | ${r.hfNoCache.toFixed(1)} | **${(r.oursCache / r.hfCache).toFixed(2)}** | ${(r.oursNoCache / r.hfNoCache).toFixed(2)} |`,
    ),
    "",
    "## The lesson's evaluation",
    "",
    `Greedy answers to the ${evaluation.examples} test prompts of the lesson's default split, with the lesson's base model ` +
      `(data/models/review-gpt-base), ${evaluation.batchSize} prompts at a time, at most ${evaluation.maxNewTokens} new tokens, ` +
      "stopping a row at end-of-text (generateBatch; transformers' generate on the same saved model, left-padded with an " +
      "attention mask). Examples per second (higher is better); the median of " +
      `${evaluation.repeats} runs after a warm-up.`,
    "",
    "| | ours | ours, op by op | transformers | ours / transformers |",
    "|---|---|---|---|---|",
    `| examples/s | ${evaluation.ours.toFixed(1)} | ${evaluation.opByOp.toFixed(1)} | ${evaluation.hf.toFixed(1)} | **${(evaluation.ours / evaluation.hf).toFixed(2)}** |`,
    "",
    `The two sides wrote the same tokens for ${evaluation.sameAnswers} of ${evaluation.examples} prompts.`,
    "",
    "## Where a gpt2 decoding step goes",
    "",
    "A step of gpt2 with the cache is little else than one row times each weight matrix (85M weights in the blocks, " +
      "38.6M in the output layer): it reads all 497 MB of weights per token, so it is bound by how fast the matrix-vector " +
      "product streams them. Ours is TensorFlow's MatMul kernel (model/layers.ts through runtime/matmul.ts); PyTorch's is x @ w. " +
      "Milliseconds per product, the mean of 40 after a warm-up (the same weights each time, so partly from cache):",
    "",
    "| weights (in x out) | ours ms | ours GB/s | PyTorch ms | PyTorch GB/s | ours / PyTorch (speed) |",
    "|---|---|---|---|---|---|",
    ...gemv.map(
      (g) =>
        `| ${g.k} x ${g.n}${g.transposed ? " (transposed)" : ""} | ${(g.ours * 1000).toFixed(2)} | ${((g.k * g.n * 4) / g.ours / 1e9).toFixed(1)} | ` +
        `${(g.torch * 1000).toFixed(2)} | ${((g.k * g.n * 4) / g.torch / 1e9).toFixed(1)} | ${(g.torch / g.ours).toFixed(2)} |`,
    ),
    "",
  ].join("\n");
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(
    path.join(outDir, "generation.json"),
    `${JSON.stringify({ date, machine, backend: choice, rows, evaluation, gemv }, null, 2)}\n`,
  );
  fs.writeFileSync(path.join(outDir, "generation.md"), md);
  console.log(`\n${md}\nwritten to ${path.join(outDir, "generation.{json,md}")}`);
}
