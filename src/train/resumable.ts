// A training run that can stop and continue: the checkpoint folder both loops (pre-training and
// fine-tuning) write to <outDir>/latest, and read back when they resume.
//
//   <folder>/config.json, model.safetensors, tokenizer files   the weights (saveCheckpoint)
//   <folder>/optimizer.safetensors                             AdamW's m and v per weight, and its step
//   <folder>/state.json                                        the loop's own state: step, history, config
//
// Everything is written in one atomic folder replacement, so a run killed mid-save leaves the
// previous checkpoint whole.
import fs from "node:fs";
import path from "node:path";
import { saveCheckpoint } from "../model/checkpoint";
import type { GPT } from "../model/gpt";
import { encodeSafetensors, readSafetensors, type NamedTensor } from "../model/safetensors";
import type { AdamW } from "./optimizer";

const OPTIMIZER_FILE = "optimizer.safetensors";
const STATE_FILE = "state.json";

/** Saves weights, tokenizer, optimizer moments and the loop's state together, replacing the folder. */
export function saveResumable(
  folder: string,
  model: GPT,
  optimizer: AdamW,
  state: object,
  tokenizer: { save(folder: string): void },
): void {
  const s = optimizer.getState();
  const tensors = new Map<string, NamedTensor>();
  for (const [kind, values] of [
    ["m", s.m],
    ["v", s.v],
  ] as const) {
    for (const [name, arr] of Object.entries(values))
      tensors.set(`${kind}/${name}`, { shape: [arr.length], data: Float32Array.from(arr) });
  }
  saveCheckpoint(model, folder, {
    overwrite: true,
    tokenizer,
    extraFiles: {
      [OPTIMIZER_FILE]: encodeSafetensors(tensors, { step: String(s.step) }),
      [STATE_FILE]: `${JSON.stringify(state, null, 1)}\n`,
    },
  });
}

/** The loop state saved in a folder, or undefined when no resumable run is there. */
export function readResumableState<S>(folder: string): S | undefined {
  const file = path.join(folder, STATE_FILE);
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as S) : undefined;
}

/**
 * The saved state, after checking that it was made with the same config (a run resumed with
 * another config would not be the run it claims to be); `what` names the run in the error.
 */
export function readResumableRun<S extends { config: unknown }>(
  folder: string,
  config: unknown,
  what: string,
  fix: string,
): S | undefined {
  const saved = readResumableState<S>(folder);
  if (saved && JSON.stringify(saved.config) !== JSON.stringify(config)) {
    throw new Error(`${folder} holds ${what} with another config; resume with the same config, ${fix}`);
  }
  return saved;
}

/** Puts the saved optimizer moments and step back into `optimizer` (same parameters, same shapes). */
export function restoreOptimizer(optimizer: AdamW, folder: string): void {
  const { tensors, metadata } = readSafetensors(path.join(folder, OPTIMIZER_FILE));
  const pick = (kind: string) =>
    Object.fromEntries(
      [...tensors]
        .filter(([n]) => n.startsWith(`${kind}/`))
        .map(([n, t]) => [n.slice(kind.length + 1), Array.from(t.data)]),
    );
  optimizer.setState({ step: Number(metadata.step), m: pick("m"), v: pick("v") });
}
