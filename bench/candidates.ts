// Benchmark: candidate base models for the lesson, by what two hours of pre-training on this
// machine would buy (the planning step of a stronger base model).
//
//   npm run bench -- candidates        writes bench/results/candidates.json and candidates.md
//
// For each candidate shape: parameters, the size of its safetensors file, the training step's speed
// on a pre-training batch (16 x the window) and on a fine-tuning batch (16 x 96, the first 48
// positions masked), as the workbook runs them (recorded graph functions, AdamW with clipping), and
// what follows: tokens a two-hour run reads, tokens per parameter, and a fine-tuning epoch's time.
import fs from "node:fs";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../src/index";
import { countParameters, gptConfig, type GPTConfig } from "../src/model/config";
import { machineInfo, machineInfoLine } from "../src/runtime/machine";
import { type Case, timeOurs } from "./training";

interface Candidate {
  name: string;
  config: Partial<GPTConfig>;
}

const WINDOW = 256;
const CANDIDATES: Candidate[] = [
  {
    name: "the current model (4 x 128, vocab 4096, window 128)",
    config: { vocabSize: 4096, blockSize: 128, nLayer: 4, nHead: 4, nEmbd: 128 },
  },
  { name: "4 x 256, vocab 8192", config: { vocabSize: 8192, nLayer: 4, nHead: 4, nEmbd: 256 } },
  { name: "6 x 256, vocab 8192", config: { vocabSize: 8192, nLayer: 6, nHead: 8, nEmbd: 256 } },
  { name: "8 x 256, vocab 8192", config: { vocabSize: 8192, nLayer: 8, nHead: 8, nEmbd: 256 } },
  { name: "6 x 320, vocab 8192", config: { vocabSize: 8192, nLayer: 6, nHead: 5, nEmbd: 320 } },
  { name: "4 x 384, vocab 8192", config: { vocabSize: 8192, nLayer: 4, nHead: 6, nEmbd: 384 } },
  { name: "6 x 384, vocab 8192", config: { vocabSize: 8192, nLayer: 6, nHead: 6, nEmbd: 384 } },
  { name: "6 x 256, vocab 16384", config: { vocabSize: 16384, nLayer: 6, nHead: 8, nEmbd: 256 } },
];
/** Tokens in the registry corpus after decontamination (data/models/review-gpt-base's card). */
const CORPUS_TOKENS = 19.8e6;
/** A fine-tuning epoch of the lesson: about 800 examples. */
const FINETUNE_EXAMPLES = 800;

export async function runCandidatesBenchmark(outDir: string): Promise<void> {
  const choice = await initBackend();
  const machine = machineInfo();
  const rows = [];
  for (const cand of CANDIDATES) {
    const config = gptConfig({ blockSize: WINDOW, dropout: 0, ...cand.config });
    const params = countParameters(config);
    const pretrainCase: Case = {
      name: "pre-training",
      preset: "tiny",
      batchSize: 16,
      seqLen: config.blockSize,
      promptLen: 0,
      warmup: 2,
      targetSeconds: 6,
      maxSteps: 12,
    };
    const finetuneCase: Case = { ...pretrainCase, name: "fine-tuning", seqLen: 96, promptLen: 48 };
    const pre = timeOurs(pretrainCase, config);
    const fine = timeOurs(finetuneCase, config);
    const pretrainTokensPerSecond = pre.tokensPerSecond;
    const twoHourTokens = pretrainTokensPerSecond * 7200;
    const row = {
      name: cand.name,
      config,
      parameters: params,
      fileMB: (params * 4) / 1e6,
      pretrainMsPerStep: pre.median.total * 1000,
      pretrainTokensPerSecond,
      twoHourTokens,
      tokensPerParameter: twoHourTokens / params,
      corpusEpochs: twoHourTokens / CORPUS_TOKENS,
      finetuneMsPerStep: fine.median.total * 1000,
      finetuneEpochSeconds: (FINETUNE_EXAMPLES / 16) * fine.median.total,
    };
    console.log(
      `${cand.name}: ${(params / 1e6).toFixed(2)}M, pre-training ${pretrainTokensPerSecond.toFixed(0)} tok/s, ` +
        `fine-tuning ${row.finetuneMsPerStep.toFixed(0)} ms/step`,
    );
    rows.push(row);
  }
  const date = new Date().toISOString();
  const md = [
    "# Candidate base models",
    "",
    `Run ${date} with \`npm run bench -- candidates\`. Machine: ${machineInfoLine(machine)}. Backend: ${choice.description}, ` +
      `tfjs ${tf.version_core}; the training step as the workbook runs it (recorded graph functions, AdamW with clipping, fp32).`,
    "",
    `Pre-training batch 16 x window (${WINDOW}, except the current model's 128); fine-tuning batch 16 x 96 with the first 48 ` +
      `positions masked. Two hours of pre-training read the tokens in the table; the registry corpus has about ` +
      `${(CORPUS_TOKENS / 1e6).toFixed(1)}M tokens, so "corpus epochs" is how often each token would be seen. A fine-tuning ` +
      `epoch is ${FINETUNE_EXAMPLES} examples. Model file: float32 safetensors, tied embeddings.`,
    "",
    "| candidate | parameters | file MB | pre-training ms/step | tokens/s | tokens in 2 h | tokens per parameter | corpus epochs | fine-tuning ms/step | fine-tuning epoch s |",
    "|---|---|---|---|---|---|---|---|---|---|",
    ...rows.map(
      (r) =>
        `| ${r.name} | ${(r.parameters / 1e6).toFixed(2)}M | ${r.fileMB.toFixed(1)} | ${r.pretrainMsPerStep.toFixed(0)} | ` +
        `${r.pretrainTokensPerSecond.toFixed(0)} | ${(r.twoHourTokens / 1e6).toFixed(0)}M | ${r.tokensPerParameter.toFixed(0)} | ` +
        `${r.corpusEpochs.toFixed(1)} | ${r.finetuneMsPerStep.toFixed(0)} | ${r.finetuneEpochSeconds.toFixed(1)} |`,
    ),
    "",
  ].join("\n");
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(
    path.join(outDir, "candidates.json"),
    `${JSON.stringify({ date, machine, backend: choice, rows }, null, 2)}\n`,
  );
  fs.writeFileSync(path.join(outDir, "candidates.md"), md);
  console.log(`\n${md}\nwritten to ${path.join(outDir, "candidates.{json,md}")}`);
}
