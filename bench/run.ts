// Entry point of the benchmarks: `npm run bench -- <name>`.
//   backends     native TensorFlow vs wasm vs plain JS: matMul GFLOP/s and GPT training tokens/s
//   candidates   candidate base models: parameters, training speed, what two hours of pre-training buy
//   generation   greedy generation tokens/s with and without the KV cache, against transformers
//   training     training-step tokens/s (loss, backward, clipping, AdamW) against PyTorch
//   onednn       TensorFlow's oneDNN kernels on or off: training-step speed and parity with transformers
import path from "node:path";
import { runBackendsBenchmark } from "./backends";
import { runCandidatesBenchmark } from "./candidates";
import { runGenerationBenchmark } from "./generation";
import { runOneDnnBenchmark } from "./onednn";
import { runTrainingBenchmark } from "./training";

const BENCHMARKS: Record<string, (outDir: string) => Promise<void>> = {
  backends: runBackendsBenchmark,
  candidates: runCandidatesBenchmark,
  generation: runGenerationBenchmark,
  onednn: runOneDnnBenchmark,
  training: runTrainingBenchmark,
};

async function main(): Promise<void> {
  const name = process.argv[2];
  const run = name ? BENCHMARKS[name] : undefined;
  if (!run) {
    console.error(
      `usage: npm run bench -- <${Object.keys(BENCHMARKS).join("|")}>${name ? ` (unknown benchmark "${name}")` : ""}`,
    );
    process.exit(2);
  }
  process.env.TF_CPP_MIN_LOG_LEVEL ??= "2";
  await run(path.join(__dirname, "results"));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
