// Hugging Face checkpoints: a folder with config.json and model.safetensors (plus tokenizer files).
//
// loadCheckpoint reads a GPT-2 checkpoint saved by transformers (or by saveCheckpoint) into a GPT;
// saveCheckpoint writes one that transformers' GPT2LMHeadModel.from_pretrained opens. Saving is
// atomic: everything is written into a temporary folder next to the target, which is then renamed
// into place, and an existing folder is only replaced when asked (overwrite: true).
import fs from "node:fs";
import path from "node:path";
import { gptConfig, type GPTConfig } from "./config";
import { GPT } from "./gpt";
import { readSafetensors, writeSafetensors, type NamedTensor } from "./safetensors";
import { writeFileAtomic } from "../util/atomic-write";

/** transformers' GPT2Config fields, as they appear in config.json (the ones this model uses). */
interface HFGPT2Config {
  model_type?: string;
  vocab_size: number;
  n_positions: number;
  n_embd: number;
  n_layer: number;
  n_head: number;
  n_inner?: number | null;
  activation_function?: string;
  resid_pdrop?: number;
  embd_pdrop?: number;
  attn_pdrop?: number;
  layer_norm_epsilon?: number;
  tie_word_embeddings?: boolean;
  scale_attn_weights?: boolean;
  scale_attn_by_inverse_layer_idx?: boolean;
  reorder_and_upcast_attn?: boolean;
  bos_token_id?: number | null;
  eos_token_id?: number | null;
  [key: string]: unknown;
}

/** config.json -> GPTConfig, refusing GPT-2 variants this implementation does not compute. */
export function configFromHF(hf: HFGPT2Config, where = "config.json"): GPTConfig {
  if (hf.model_type !== undefined && hf.model_type !== "gpt2") {
    throw new Error(`${where}: model_type is "${hf.model_type}"; this workbook's model is GPT-2 ("gpt2").`);
  }
  for (const field of ["vocab_size", "n_positions", "n_embd", "n_layer", "n_head"] as const) {
    if (typeof hf[field] !== "number") throw new Error(`${where}: "${field}" is missing or not a number.`);
  }
  const unsupported: string[] = [];
  if (hf.n_inner != null && hf.n_inner !== 4 * hf.n_embd) unsupported.push(`n_inner ${hf.n_inner} (only 4 * n_embd)`);
  if (hf.activation_function !== undefined && hf.activation_function !== "gelu_new")
    unsupported.push(`activation_function "${hf.activation_function}" (only gelu_new)`);
  if (hf.scale_attn_weights === false) unsupported.push("scale_attn_weights false");
  if (hf.scale_attn_by_inverse_layer_idx) unsupported.push("scale_attn_by_inverse_layer_idx");
  if (unsupported.length) throw new Error(`${where}: unsupported GPT-2 options: ${unsupported.join(", ")}.`);
  const dropout = Math.max(hf.resid_pdrop ?? 0, hf.embd_pdrop ?? 0, hf.attn_pdrop ?? 0);
  return gptConfig({
    vocabSize: hf.vocab_size,
    blockSize: hf.n_positions,
    nEmbd: hf.n_embd,
    nLayer: hf.n_layer,
    nHead: hf.n_head,
    dropout,
    layerNormEpsilon: hf.layer_norm_epsilon ?? 1e-5,
    tieEmbeddings: hf.tie_word_embeddings ?? true,
  });
}

/** GPTConfig -> config.json contents that transformers reads as a GPT2Config. */
export function configToHF(c: GPTConfig, tokens: { bosTokenId?: number; eosTokenId?: number } = {}): HFGPT2Config {
  return {
    architectures: ["GPT2LMHeadModel"],
    model_type: "gpt2",
    vocab_size: c.vocabSize,
    n_positions: c.blockSize,
    n_embd: c.nEmbd,
    n_layer: c.nLayer,
    n_head: c.nHead,
    n_inner: null,
    activation_function: "gelu_new",
    resid_pdrop: c.dropout,
    embd_pdrop: c.dropout,
    attn_pdrop: c.dropout,
    layer_norm_epsilon: c.layerNormEpsilon,
    initializer_range: 0.02,
    tie_word_embeddings: c.tieEmbeddings,
    scale_attn_weights: true,
    bos_token_id: tokens.bosTokenId ?? null,
    eos_token_id: tokens.eosTokenId ?? null,
    dtype: "float32",
  };
}

/**
 * Weight names in a checkpoint -> ours. transformers saves "transformer.h.0...." today; OpenAI's
 * original gpt2 upload has no "transformer." prefix. The causal-mask buffers of old checkpoints
 * ("h.0.attn.bias", "h.0.attn.masked_bias") are not weights, and a tied lm_head is the embedding.
 */
function normalizeWeightNames(tensors: Map<string, NamedTensor>, config: GPTConfig): Map<string, NamedTensor> {
  const out = new Map<string, NamedTensor>();
  for (const [name, t] of tensors) {
    if (/\.attn\.(masked_)?bias$/.test(name)) continue;
    if (name === "lm_head.weight" && config.tieEmbeddings) continue;
    const ours = name.startsWith("transformer.") || name === "lm_head.weight" ? name : `transformer.${name}`;
    out.set(ours, t);
  }
  return out;
}

export interface LoadedCheckpoint {
  model: GPT;
  config: GPTConfig;
  /** The raw config.json (bos/eos ids and anything else the caller wants). */
  hfConfig: HFGPT2Config;
}

/** The GPTConfig of a checkpoint folder, read from its config.json alone (no weights loaded). */
export function loadModelConfig(folder: string): GPTConfig {
  const file = path.join(folder, "config.json");
  if (!fs.existsSync(file)) throw new Error(`${folder} has no config.json; is it a Hugging Face checkpoint folder?`);
  return configFromHF(JSON.parse(fs.readFileSync(file, "utf8")), file);
}

/** Loads config.json + model.safetensors from a local folder into a GPT. */
export function loadCheckpoint(folder: string): LoadedCheckpoint {
  const configFile = path.join(folder, "config.json");
  const weightsFile = path.join(folder, "model.safetensors");
  if (!fs.existsSync(folder)) throw new Error(`Checkpoint folder ${folder} does not exist.`);
  for (const f of [configFile, weightsFile]) {
    if (!fs.existsSync(f)) {
      const pytorchBin = fs.existsSync(path.join(folder, "pytorch_model.bin"));
      throw new Error(
        `Checkpoint folder ${folder} has no ${path.basename(f)}. A Hugging Face GPT-2 checkpoint holds config.json ` +
          `and model.safetensors${pytorchBin ? "; this one has pytorch_model.bin: convert it with transformers' save_pretrained(..., safe_serialization=True)" : ""}.`,
      );
    }
  }
  let hfConfig: HFGPT2Config;
  try {
    hfConfig = JSON.parse(fs.readFileSync(configFile, "utf8"));
  } catch (err) {
    throw new Error(`${configFile} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  const config = configFromHF(hfConfig, configFile);
  const { tensors } = readSafetensors(weightsFile);
  try {
    return { model: new GPT(config, 0, normalizeWeightNames(tensors, config)), config, hfConfig };
  } catch (err) {
    throw new Error(`${weightsFile}: ${(err as Error).message}`, { cause: err });
  }
}

export interface SaveOptions {
  /** Replace an existing folder (default false: an existing folder is an error, nothing is touched). */
  overwrite?: boolean;
  /** Saved alongside, when given (its own save writes the tokenizer files). */
  tokenizer?: { save(folder: string): void; eosTokenId?: number };
  /** Extra files to write into the folder (a model card README.md, a training state). */
  extraFiles?: Record<string, string | Uint8Array>;
}

/** Saves config.json + model.safetensors (+ tokenizer files) into `folder`, atomically. */
export function saveCheckpoint(model: GPT, folder: string, options: SaveOptions = {}): void {
  const target = path.resolve(folder);
  if (fs.existsSync(target) && !options.overwrite) {
    throw new Error(`${target} already exists; pass { overwrite: true } to replace it, or choose another folder.`);
  }
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const staging = fs.mkdtempSync(path.join(path.dirname(target), `.${path.basename(target)}.saving-`));
  try {
    fs.chmodSync(staging, 0o755); // mkdtemp makes it private; a checkpoint folder is an ordinary one
    const eos = options.tokenizer?.eosTokenId;
    writeFileAtomic(
      path.join(staging, "config.json"),
      `${JSON.stringify(configToHF(model.config, { bosTokenId: eos, eosTokenId: eos }), null, 2)}\n`,
    );
    const tensors = new Map<string, NamedTensor>();
    for (const [name, v] of model.params)
      tensors.set(name, { shape: v.shape.slice(), data: v.dataSync() as Float32Array });
    writeSafetensors(path.join(staging, "model.safetensors"), tensors);
    options.tokenizer?.save(staging);
    for (const [name, content] of Object.entries(options.extraFiles ?? {}))
      writeFileAtomic(path.join(staging, name), content);
    // Swap into place: the old folder (if any) is moved aside first and removed only after the rename.
    const old = fs.existsSync(target) ? `${staging}-old` : undefined;
    if (old) fs.renameSync(target, old);
    fs.renameSync(staging, target);
    if (old) fs.rmSync(old, { recursive: true, force: true });
  } catch (err) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw err;
  }
}
