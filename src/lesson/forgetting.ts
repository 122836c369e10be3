// What instruction tuning costs elsewhere: does the instruct model still model ordinary text?
//
// Fine-tuning moves every weight toward the instructions, and a model can lose some of what
// pre-training taught it ("catastrophic forgetting"). The measure: bits per character on documents
// held out of the base model's pre-training (the same held-out split its card reports), for the base
// model and the instruct model. A higher figure after tuning is what was forgotten.
//
//   const f = measureForgetting(base.model, instruct, base.tokenizer);   // about 10 s for 40 documents
//   f.base.bitsPerCharacter, f.instruct.bitsPerCharacter
import { loadPretrainingCorpus } from "../data/pretraining-corpus";
import type { GPT } from "../model/gpt";
import { bitsPerCharacter, type BitsPerCharacter } from "../train/bits-per-character";
import { DEFAULT_PRETRAIN_CONFIG } from "../train/pretrain";

export interface Forgetting {
  /** Held-out pre-training documents measured, and their characters. */
  documents: number;
  characters: number;
  base: BitsPerCharacter;
  instruct: BitsPerCharacter;
}

let heldOut: string[] | undefined;

/** The base model's held-out pre-training documents (the corpus is read once per process). */
function heldOutDocuments(): string[] {
  // The pre-training run's own split: the same seed, so none of these documents was trained on.
  heldOut ??= loadPretrainingCorpus({ seed: DEFAULT_PRETRAIN_CONFIG.seed }).validation;
  return heldOut;
}

/** Bits per character of both models on the first `documents` held-out pre-training documents. */
export function measureForgetting(
  base: GPT,
  instruct: GPT,
  tokenizer: { encode(text: string): number[]; eosTokenId?: number },
  options: { documents?: number } = {},
): Forgetting {
  const docs = heldOutDocuments().slice(0, options.documents ?? 40);
  return {
    documents: docs.length,
    characters: docs.reduce((n, d) => n + [...d].length, 0),
    base: bitsPerCharacter(base, tokenizer, docs),
    instruct: bitsPerCharacter(instruct, tokenizer, docs),
  };
}

/** Rows for showTable: each model's bits per character and loss per token on the held-out text. */
export function forgettingRows(f: Forgetting): Record<string, string | number>[] {
  return [
    {
      model: "base model",
      "bits per character": f.base.bitsPerCharacter.toFixed(3),
      "loss per token": f.base.lossPerToken.toFixed(3),
    },
    {
      model: "instruct model",
      "bits per character": f.instruct.bitsPerCharacter.toFixed(3),
      "loss per token": f.instruct.lossPerToken.toFixed(3),
    },
  ];
}
