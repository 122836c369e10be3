// Benchmark: TensorFlow's oneDNN kernels on or off (TF_ENABLE_ONEDNN_OPTS), measured, to decide.
//
//   npm run bench -- onednn            writes bench/results/onednn.json and onednn.md
//
// TensorFlow 2.21 turns oneDNN on by itself on CPUs with AVX-512 (and says so on stderr); on AVX2-only
// CPUs it leaves it off. Each setting runs in a fresh process (the variable is read when the library
// loads), alternating off, on, off, on so that a slow spell of the machine hits both. Each process
// measures two things:
//   - parity: logits, loss and gradients of the tiny checkpoint against transformers' (the committed
//     reference of test/model/reference-parity.test.ts, whose tolerance is 1e-4 / 1e-5 / 1e-4);
//   - speed: the training step of bench/training.ts (the workbook's loss, clipping and AdamW).
// The workbook takes the faster setting among those that keep parity; src/runtime/backend.ts
// applies it unless the learner set TF_ENABLE_ONEDNN_OPTS.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../src/index";
import { projectPath } from "../src/runtime/paths";
import { loadCheckpoint } from "../src/model/checkpoint";
import { gptPreset } from "../src/model/config";
import { machineBusySeconds, machineInfo, machineInfoLine, processTreeCpuSeconds } from "../src/runtime/machine";
import { nextTokenLoss } from "../src/train/loss";
import { maxAbsDiff } from "../src/util/max-abs-diff";
import { CASES, median, timeOurs } from "./training";

const MARKER = "ONEDNN_BENCH ";
const ROUNDS = 3;
/** The lesson's two shapes and gpt2 124M, where oneDNN's large matMuls could matter most. */
const BENCH_CASES = CASES;

interface Parity {
  logits: number;
  loss: number;
  gradients: number;
}
interface ChildReport {
  onednn: string;
  backend: string;
  parity: Parity;
  tokensPerSecond: Record<string, number>;
}

/** Our logits, loss and gradients on the tiny checkpoint against the transformers reference. */
function parityAgainstTransformers(): Parity {
  const fixture = projectPath("test", "fixtures", "tiny-gpt2");
  const ref = JSON.parse(fs.readFileSync(path.join(fixture, "reference.json"), "utf8"));
  const { model } = loadCheckpoint(fixture);
  const ids = tf.tensor2d(ref.input_ids, undefined, "int32");
  const mask = tf.tensor2d((ref.labels as number[][]).map((row) => row.map((l) => (l === -100 ? 0 : 1))));
  const logits = tf.tidy(() => maxAbsDiff(model.forward(ids).dataSync(), ref.logits));
  const { value, grads } = tf.variableGrads(() => nextTokenLoss(model, ids, mask), model.trainableVariables());
  const loss = Math.abs(value.dataSync()[0] - ref.loss);
  let gradients = 0;
  for (const [name, expected] of Object.entries(ref.grads as Record<string, number[]>)) {
    const key = Object.keys(grads).find((k) => k.endsWith(`/${name}`))!;
    gradients = Math.max(gradients, maxAbsDiff(grads[key].dataSync(), expected));
  }
  tf.dispose([ids, mask, value, ...Object.values(grads)]);
  model.dispose();
  return { logits, loss, gradients };
}

async function child(): Promise<void> {
  const choice = await initBackend({ prefer: "tensorflow", quiet: true });
  const parity = parityAgainstTransformers();
  const tokensPerSecond: Record<string, number> = {};
  for (const c of BENCH_CASES) tokensPerSecond[c.name] = timeOurs(c, gptPreset(c.preset)).tokensPerSecond;
  const report: ChildReport = {
    onednn: process.env.TF_ENABLE_ONEDNN_OPTS ?? "",
    backend: choice.description,
    parity,
    tokensPerSecond,
  };
  console.log(MARKER + JSON.stringify(report));
}

function runSetting(value: "0" | "1"): ChildReport {
  const r = spawnSync(process.execPath, ["--import", "tsx", __filename, "--child"], {
    encoding: "utf8",
    maxBuffer: 16 << 20,
    env: { ...process.env, TF_ENABLE_ONEDNN_OPTS: value },
  });
  const line = r.stdout
    .split("\n")
    .filter((l) => l.startsWith(MARKER))
    .pop();
  if (!line)
    throw new Error(
      `the TF_ENABLE_ONEDNN_OPTS=${value} run printed no report (exit ${r.status}):\n${r.stderr.slice(-2000)}`,
    );
  return JSON.parse(line.slice(MARKER.length));
}

export async function runOneDnnBenchmark(outDir: string): Promise<void> {
  const machine = machineInfo();
  const busyBefore = machineBusySeconds(),
    wallBefore = performance.now(),
    oursBefore = processTreeCpuSeconds();
  const runs: Record<"0" | "1", ChildReport[]> = { "0": [], "1": [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const value of ["0", "1"] as const) {
      console.log(`round ${round + 1}/${ROUNDS}: TF_ENABLE_ONEDNN_OPTS=${value}`);
      const report = runSetting(value);
      console.log(
        `  ${Object.entries(report.tokensPerSecond)
          .map(([k, v]) => `${k}: ${v.toFixed(0)} tok/s`)
          .join(", ")}; ` + `logits diff ${report.parity.logits.toExponential(2)}`,
      );
      runs[value].push(report);
    }
  }
  const summary = (["0", "1"] as const).map((value) => {
    const reports = runs[value];
    const parity: Parity = {
      logits: Math.max(...reports.map((r) => r.parity.logits)),
      loss: Math.max(...reports.map((r) => r.parity.loss)),
      gradients: Math.max(...reports.map((r) => r.parity.gradients)),
    };
    const parityOk = parity.logits <= 1e-4 && parity.loss <= 1e-5 && parity.gradients <= 1e-4;
    const speed = Object.fromEntries(
      BENCH_CASES.map((c) => [c.name, median(reports.map((r) => r.tokensPerSecond[c.name]))]),
    );
    return { value, parity, parityOk, speed };
  });
  const [off, on] = summary;
  // Other processes' share of the CPU: all CPU time used meanwhile, minus this process and its children.
  const others = machineBusySeconds() - busyBefore - (processTreeCpuSeconds() - oursBefore);
  const othersShare = Math.max(0, others / (((performance.now() - wallBefore) / 1000) * machine.cores));
  const load = `other processes used ${(100 * othersShare).toFixed(0)}% of the CPU during the run`;
  const ratios = BENCH_CASES.map((c) => on.speed[c.name] / off.speed[c.name]);
  // On is taken only if it keeps parity and is faster on every case by more than the noise (3%).
  const choice = on.parityOk && ratios.every((r) => r > 1.03) ? "1" : "0";
  const date = new Date().toISOString();
  const md = [
    "# oneDNN on or off (TF_ENABLE_ONEDNN_OPTS)",
    "",
    `Run ${date} with \`npm run bench -- onednn\`. Machine: ${machineInfoLine(machine)}. Backend: ${runs["1"][0].backend}; ${load}.`,
    `Each setting ran ${ROUNDS} times in a fresh process, alternating; speed is the median training step of bench/training.ts ` +
      "(tokens/s, higher is better), parity the largest difference from transformers on the tiny checkpoint over the runs.",
    "",
    `| TF_ENABLE_ONEDNN_OPTS | ${BENCH_CASES.map((c) => `${c.name} tok/s`).join(" | ")} | logits max diff | loss diff | gradients max diff | parity (1e-4 / 1e-5 / 1e-4) |`,
    `|---|${BENCH_CASES.map(() => "---|").join("")}---|---|---|---|`,
    ...summary.map(
      (s) =>
        `| ${s.value} (${s.value === "1" ? "on" : "off"}) | ${BENCH_CASES.map((c) => s.speed[c.name].toFixed(0)).join(" | ")} | ` +
        `${s.parity.logits.toExponential(1)} | ${s.parity.loss.toExponential(1)} | ${s.parity.gradients.toExponential(1)} | ${s.parityOk ? "ok" : "FAILS"} |`,
    ),
    `| on / off | ${ratios.map((r) => r.toFixed(2)).join(" | ")} | | | | |`,
    "",
    `**Choice on this CPU: ${choice === "1" ? "on" : "off"}.** The rule: on only if it keeps parity and is more than 3% faster on every case. ` +
      "The workbook sets TF_ENABLE_ONEDNN_OPTS to the choice recorded for the CPU's instruction set (src/runtime/backend.ts) unless it is already set.",
    "",
  ].join("\n");
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(
    path.join(outDir, "onednn.json"),
    `${JSON.stringify({ date, machine, otherProcessesCpuShare: othersShare, runs, summary, choice }, null, 2)}\n`,
  );
  fs.writeFileSync(path.join(outDir, "onednn.md"), md);
  console.log(`\n${md}\nwritten to ${path.join(outDir, "onednn.{json,md}")}`);
}

if (process.argv.includes("--child")) {
  child().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
