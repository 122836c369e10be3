// What can go wrong with a written text besides its content: it is empty, it repeats itself, or it
// runs on past where it should stop. Counted for every generation task next to its score.
//
//   generationFlags(" Great phone. Great phone. Great phone.", "eos")
//   // { empty: false, repeats: true, pastStop: false }
//
//   empty      no letter or digit at all ("", " ", "...").
//   repeats    a sequence of three words occurs twice or more ("great phone great phone great"): the
//              loop a small greedy or low-temperature model falls into. One real review sentence
//              rarely repeats three words in a row.
//   pastStop   the model never wrote its end-of-text token (nor the new line that ends an answer)
//              and was cut at the token limit or the window: it did not know when to stop.
import type { Generation } from "../model/generate";

export interface GenerationFlags {
  empty: boolean;
  repeats: boolean;
  pastStop: boolean;
}

/** Lowercased words (runs of letters, digits and inner apostrophes). */
function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+(?:'[\p{L}\p{N}]+)*/gu) ?? [];
}

/** True when some three consecutive words occur twice or more in the text. */
export function repeatsItself(text: string): boolean {
  const w = words(text);
  const seen = new Set<string>();
  for (let i = 0; i + 3 <= w.length; i++) {
    const trigram = `${w[i]} ${w[i + 1]} ${w[i + 2]}`;
    if (seen.has(trigram)) return true;
    seen.add(trigram);
  }
  return false;
}

/** The three flags of one generation (see the header). */
export function generationFlags(text: string, stoppedBy: Generation["stoppedBy"]): GenerationFlags {
  return {
    empty: words(text).length === 0,
    repeats: repeatsItself(text),
    pastStop: stoppedBy === "max-tokens" || stoppedBy === "context-window",
  };
}
