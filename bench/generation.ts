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
import { backendChoice, initBackend, projectPath } from "../src/index";
import { gptPreset, type GPTConfig } from "../src/model/config";
import { generate, type TextCodec } from "../src/model/generate";
import { GPT } from "../src/model/gpt";
import { machineInfo } from "../src/runtime/machine";

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

function timeOurs(model: GPT, prompt: number[], newTokens: number, useCache: boolean, repeats: number): number {
  generate(model, idsCodec, prompt, { maxNewTokens: 2, stopTokenIds: [], useCache }); // warm-up
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
      oursNoCache,
      hfCache: hf.cache.tokens_per_second,
      hfNoCache: hf.no_cache.tokens_per_second,
      torch: hf.torch,
      torchThreads: hf.threads,
    });
  }
  const date = new Date().toISOString();
  const choice = backendChoice()!;
  const md = [
    "# Generation benchmark",
    "",
    `Run ${date} with \`npm run bench -- generation\`. Machine: ${machine.cpuModel}, ${machine.cores} cores at ${machine.mhz} MHz, ` +
      `Node ${machine.node}. Ours: tfjs ${tf.version_core} on ${choice.description}. Reference: transformers GPT2LMHeadModel on torch ${rows[0]?.torch} (${rows[0]?.torchThreads} threads).`,
    "",
    `Greedy decoding of one sequence from a ${PROMPT_LEN}-token prompt, random weights, fp32; new tokens per second (higher is better).`,
    "",
    "| model | new tokens | ours, cache | ours, no cache | cache speed-up | transformers, cache | transformers, no cache | ours / transformers (cache) | ours / transformers (no cache) |",
    "|---|---|---|---|---|---|---|---|---|",
    ...rows.map(
      (r) =>
        `| ${r.case} | ${r.newTokens} | ${r.oursCache.toFixed(1)} | ${r.oursNoCache.toFixed(1)} | ${(r.oursCache / r.oursNoCache).toFixed(1)}x | ` +
        `${r.hfCache.toFixed(1)} | ${r.hfNoCache.toFixed(1)} | ${(r.oursCache / r.hfCache).toFixed(2)} | ${(r.oursNoCache / r.hfNoCache).toFixed(2)} |`,
    ),
    "",
  ].join("\n");
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(
    path.join(outDir, "generation.json"),
    `${JSON.stringify({ date, machine, backend: choice, rows }, null, 2)}\n`,
  );
  fs.writeFileSync(path.join(outDir, "generation.md"), md);
  console.log(`\n${md}\nwritten to ${path.join(outDir, "generation.{json,md}")}`);
}
