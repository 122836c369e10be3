// The base model the lesson fine-tunes: the embedded pre-trained model (data/models/review-gpt-base,
// made by `npm run pretrain -- --ship`) or another Hugging Face-format folder, with its tokenizer
// and a fingerprint of its files.
//
//   const base = loadBaseModel();          // base.model, base.tokenizer, base.fingerprint
//
// The fingerprint keys fine-tuning runs (runs.ts): runs of another base model are never reused.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { loadCheckpoint } from "../model/checkpoint";
import type { GPT } from "../model/gpt";
import { BPETokenizer } from "../model/tokenizer";
import { projectPath } from "../runtime/paths";

/** The embedded base model's folder. */
export const BASE_MODEL_DIR = projectPath("data", "models", "review-gpt-base");

export interface BaseModel {
  model: GPT;
  tokenizer: BPETokenizer;
  /** A hash of the weights and vocabulary files: fine-tuning runs of another base model are kept apart. */
  fingerprint: string;
}

/** The base model's identity: a hash of its weights, config and vocabulary files. */
export function baseModelFingerprint(folder: string): string {
  const hash = crypto.createHash("sha256");
  for (const file of ["config.json", "model.safetensors", "vocab.json", "merges.txt"])
    hash.update(fs.readFileSync(path.join(folder, file)));
  return hash.digest("hex").slice(0, 16);
}

/** The embedded pre-trained model (data/models/review-gpt-base) and its tokenizer, or another folder's. */
export function loadBaseModel(folder = BASE_MODEL_DIR): BaseModel {
  return {
    model: loadCheckpoint(folder).model,
    tokenizer: BPETokenizer.fromPretrained(folder),
    fingerprint: baseModelFingerprint(folder),
  };
}
