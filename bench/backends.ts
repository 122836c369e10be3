// Benchmark: the three tfjs backends (native TensorFlow, wasm, plain JS) on the same work, in one run.
//
//   npm run bench -- backends          writes bench/results/backends.json and backends.md
//
// For each backend: matMul GFLOP/s (square float32 products) and GPT training steps in tokens/s on
// three model sizes. A (backend, size) pair whose step would take longer than MAX_STEP_SECONDS,
// estimated from that backend's previous size, is skipped and reported as such: plain JS needs
// minutes per step on the larger sizes.
import fs from "node:fs";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { initBackend, measureMatMul, type BackendName } from "../src/index";
import { backendChoice } from "../src/runtime/backend";
import { gptConfig } from "../src/model/config";
import { machineInfo } from "../src/runtime/machine";
import { timeTrainSteps, trainStepFlops, type StepConfig, type StepTiming } from "./gpt-step";

const MAX_STEP_SECONDS = 90;

export const STEP_CONFIGS: StepConfig[] = [
  {
    name: "micro",
    model: { vocabSize: 1024, blockSize: 64, nLayer: 2, nHead: 2, nEmbd: 64 },
    batchSize: 8,
    seqLen: 64,
  },
  {
    name: "tiny",
    model: { vocabSize: 4096, blockSize: 128, nLayer: 4, nHead: 4, nEmbd: 128 },
    batchSize: 16,
    seqLen: 128,
  },
  {
    name: "small",
    model: { vocabSize: 8192, blockSize: 128, nLayer: 6, nHead: 8, nEmbd: 256 },
    batchSize: 8,
    seqLen: 128,
  },
];

interface BackendResult {
  backend: BackendName;
  description: string;
  matMul: { size: number; gflops: number; medianMs: number }[];
  steps: (StepTiming | { config: string; skipped: string })[];
}

async function benchBackend(name: BackendName): Promise<BackendResult> {
  await initBackend({ prefer: name, quiet: true });
  const description = backendChoice()!.description;
  console.log(`\n== ${name}: ${description}`);
  const sizes = name === "cpu" ? [256, 512] : [256, 512, 1024];
  const matMul = (await measureMatMul(sizes, name === "cpu" ? 3 : 10)).map(({ size, gflops, medianMs }) => ({
    size,
    gflops,
    medianMs,
  }));
  for (const m of matMul) console.log(`matMul ${m.size}: ${m.gflops.toFixed(1)} GFLOP/s`);
  const steps: BackendResult["steps"] = [];
  let last: { flops: number; ms: number } | undefined;
  for (const cfg of STEP_CONFIGS) {
    const flops = trainStepFlops(gptConfig(cfg.model), cfg.batchSize, cfg.seqLen);
    const estimate = last ? (last.ms * flops) / last.flops / 1000 : 0;
    if (estimate > MAX_STEP_SECONDS) {
      const skipped = `skipped: about ${Math.round(estimate)} s per step estimated from ${STEP_CONFIGS[steps.length - 1].name}`;
      console.log(`${cfg.name}: ${skipped}`);
      steps.push({ config: cfg.name, skipped });
      continue;
    }
    const t = timeTrainSteps(cfg);
    console.log(
      `${cfg.name}: ${t.tokensPerSecond.toFixed(0)} tokens/s (${t.msPerStep.toFixed(0)} ms/step over ${t.steps} steps, ${t.gflops.toFixed(1)} GFLOP/s)`,
    );
    steps.push(t);
    last = { flops, ms: t.msPerStep };
  }
  return { backend: name, description, matMul, steps };
}

function fmt(x: number | undefined, digits = 0): string {
  return x === undefined ? "-" : x.toFixed(digits);
}

function markdown(results: BackendResult[], machine: ReturnType<typeof machineInfo>, date: string): string {
  const timing = (r: BackendResult, cfg: string) => {
    const s = r.steps.find((x) => x.config === cfg);
    return s && "tokensPerSecond" in s ? s : undefined;
  };
  const tokens = (r: BackendResult, cfg: string) => timing(r, cfg)?.tokensPerSecond;
  const cell = (r: BackendResult, cfg: string) => {
    const t = timing(r, cfg);
    return t ? `${t.tokensPerSecond.toFixed(0)} (${t.gflops.toFixed(1)} GFLOP/s)` : "-";
  };
  const gf = (r: BackendResult, size: number) => r.matMul.find((m) => m.size === size)?.gflops;
  const lines = [
    `# Backends benchmark`,
    ``,
    `Run ${date} with \`npm run bench -- backends\`. Machine: ${machine.cpuModel}, ${machine.cores} cores at ${machine.mhz} MHz ` +
      `(${machine.simd.join(", ")}), ${machine.memoryGiB} GiB, ${machine.os}, Node ${machine.node}, tfjs ${tf.version_core}.`,
    `fp32 peak of this CPU: ${machine.peakGflops.toFixed(0)} GFLOP/s (${machine.peakNote}).`,
    ``,
    `GPT training step = forward, masked cross-entropy, backward, Adam update; fp32; tokens per second (higher is better), ` +
      `with the model FLOPs per second it implies (6 x parameters x tokens + attention).`,
    ...STEP_CONFIGS.map(
      (c) =>
        `- ${c.name}: vocab ${c.model.vocabSize}, context ${c.seqLen}, ${c.model.nLayer} layers, width ${c.model.nEmbd}, ` +
        `${c.model.nHead} heads, batch ${c.batchSize}`,
    ),
    ``,
    `| backend | matMul 512 GFLOP/s | matMul 1024 GFLOP/s | ${STEP_CONFIGS.map((c) => `${c.name} tokens/s`).join(" | ")} |`,
    `|---|---|---|${STEP_CONFIGS.map(() => "---").join("|")}|`,
    ...results.map(
      (r) =>
        `| ${r.backend} | ${fmt(gf(r, 512), 1)} | ${fmt(gf(r, 1024), 1)} | ${STEP_CONFIGS.map((c) => cell(r, c.name)).join(" | ")} |`,
    ),
  ];
  const native = results.find((r) => r.backend === "tensorflow");
  const wasm = results.find((r) => r.backend === "wasm");
  const cpu = results.find((r) => r.backend === "cpu");
  const ratio = (a?: number, b?: number) => (a !== undefined && b !== undefined ? `${(a / b).toFixed(1)}x` : "-");
  if (native && wasm)
    lines.push(
      `| native / wasm | ${ratio(gf(native, 512), gf(wasm, 512))} | ${ratio(gf(native, 1024), gf(wasm, 1024))} | ${STEP_CONFIGS.map((c) => ratio(tokens(native, c.name), tokens(wasm, c.name))).join(" | ")} |`,
    );
  if (native && cpu)
    lines.push(
      `| native / plain JS | ${ratio(gf(native, 512), gf(cpu, 512))} | - | ${STEP_CONFIGS.map((c) => ratio(tokens(native, c.name), tokens(cpu, c.name))).join(" | ")} |`,
    );
  if (native) {
    const best = Math.max(...native.matMul.map((m) => m.gflops));
    const bestStep = Math.max(...native.steps.map((s) => ("gflops" in s ? s.gflops : 0)));
    const share = (x: number) =>
      machine.peakGflops > 0 ? `${((100 * x) / machine.peakGflops).toFixed(0)}%` : "an unknown share";
    lines.push(
      ``,
      `Native matMul reaches ${best.toFixed(1)} GFLOP/s, ${share(best)} of the fp32 peak; ` +
        `the native training step ${bestStep.toFixed(1)} GFLOP/s, ${share(bestStep)} of it.`,
    );
  }
  const skipped = results.flatMap((r) =>
    r.steps.filter((s) => "skipped" in s).map((s) => `${r.backend} ${s.config}: ${(s as { skipped: string }).skipped}`),
  );
  if (skipped.length) lines.push(``, `Not run (too slow to time here): ${skipped.join("; ")}.`);
  return `${lines.join("\n")}\n`;
}

export async function runBackendsBenchmark(outDir: string): Promise<void> {
  const machine = machineInfo();
  const date = new Date().toISOString();
  const results: BackendResult[] = [];
  for (const name of ["tensorflow", "wasm", "cpu"] as const) {
    try {
      results.push(await benchBackend(name));
    } catch (err) {
      console.log(`== ${name}: not available (${(err as Error).message})`);
    }
  }
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(
    path.join(outDir, "backends.json"),
    `${JSON.stringify({ date, machine, tfjs: tf.version_core, results }, null, 2)}\n`,
  );
  const md = markdown(results, machine, date);
  fs.writeFileSync(path.join(outDir, "backends.md"), md);
  console.log(`\n${md}\nwritten to ${path.join(outDir, "backends.{json,md}")}`);
}
