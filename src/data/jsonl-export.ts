// Writing an instruction dataset as JSON Lines in the prompt-completion shape that other trainers read
// (TRL's SFTTrainer, OpenAI-style fine-tuning), so the same data can go on to bigger machines:
//
//   exportJsonl(splits.train, "data/out/train.jsonl");
//   // {"prompt":"Classify this review: Great phone.\nSentiment:","completion":" positive"}
//
// The file is written atomically (a temporary file, then a rename): a crash never leaves half a file.
// An existing file is never replaced unless { overwrite: true } says so.
import fs from "node:fs";
import path from "node:path";
import { writeFileAtomic } from "../util/atomic-write";

export interface JsonlExportOptions {
  /** Replace an existing file (default false: refuse). */
  overwrite?: boolean;
  /** "prompt-completion" (default): only those two keys; "all": every field of the example. */
  fields?: "prompt-completion" | "all";
}

export interface JsonlExportResult {
  file: string;
  records: number;
  bytes: number;
}

/** Writes one JSON object per line, "\n" after each. The folder is created when missing. */
export function exportJsonl(examples: readonly { prompt: string; completion: string }[], file: string, options: JsonlExportOptions = {}): JsonlExportResult {
  const fields = options.fields ?? "prompt-completion";
  if (fields !== "prompt-completion" && fields !== "all") throw new Error(`exportJsonl: fields must be "prompt-completion" or "all", got ${JSON.stringify(fields)}.`);
  if (fs.existsSync(file) && !options.overwrite) {
    throw new Error(`exportJsonl: ${file} already exists and was left as it is. Choose another name, or pass { overwrite: true } to replace it.`);
  }
  const lines = examples.map((e, i) => {
    if (typeof e.prompt !== "string" || typeof e.completion !== "string") throw new Error(`exportJsonl: example ${i + 1} has no prompt or completion string.`);
    return JSON.stringify(fields === "all" ? e : { prompt: e.prompt, completion: e.completion });
  });
  const text = lines.map((l) => l + "\n").join("");
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileAtomic(file, text);
  return { file, records: lines.length, bytes: Buffer.byteLength(text) };
}
