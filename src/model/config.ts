// The GPT-2 model's shape: a typed config, named presets and a validator.
//
// Field names follow Hugging Face's GPT2Config in spirit (n_layer -> nLayer, ...) so that a
// config.json maps onto it one to one; see the checkpoint code for the mapping.
import { deepFreeze, defineConfig, refuseUnknownKeys } from "../util/config";

export interface GPTConfig {
  /** Number of token ids the model knows (rows of the token embedding wte). GPT-2: 50257. */
  vocabSize: number;
  /** Context window: the most tokens the model sees at once (rows of the position embedding wpe). */
  blockSize: number;
  /** Number of transformer blocks. */
  nLayer: number;
  /** Attention heads per block; nEmbd must be divisible by it. */
  nHead: number;
  /** Width of the residual stream (embedding size). */
  nEmbd: number;
  /** Dropout probability on embeddings, attention weights and residual branches (0 for pre-training
   *  on lots of data; try 0.1 when fine-tuning a small dataset). */
  dropout: number;
  /** Epsilon inside layer norm. GPT-2: 1e-5. */
  layerNormEpsilon: number;
  /** Whether the output projection reuses the token embedding (GPT-2 does). */
  tieEmbeddings: boolean;
}

const GPT_CONFIG = defineConfig<GPTConfig>(
  "GPTConfig",
  {
    vocabSize: 50257,
    blockSize: 1024,
    nLayer: 12,
    nHead: 12,
    nEmbd: 768,
    dropout: 0,
    layerNormEpsilon: 1e-5,
    tieEmbeddings: true,
  },
  {
    vocabSize: { type: "integer", min: 1 },
    blockSize: { type: "integer", min: 1 },
    nLayer: { type: "integer", min: 1 },
    nHead: { type: "integer", min: 1 },
    nEmbd: { type: "integer", min: 1 },
    dropout: { type: "number", min: 0, below: 1 },
    layerNormEpsilon: { type: "number", above: 0, below: 1, hint: "GPT-2 uses 1e-5" },
    tieEmbeddings: { type: "boolean" },
  },
  (c, fail) => {
    if (c.nEmbd % c.nHead !== 0)
      fail("nEmbd", `${c.nEmbd} must be divisible by nHead (${c.nHead}); each head gets nEmbd / nHead dimensions.`);
  },
);

/** GPT-2 small's shape (frozen). */
export const DEFAULT_GPT_CONFIG: Readonly<GPTConfig> = GPT_CONFIG.defaults;

/** Named sizes. Parameter counts (tied embeddings) in the comments. */
export const GPT_PRESETS = deepFreeze({
  /** OpenAI's GPT-2 small: 12 layers, 768 wide, 12 heads, 1024 context, 124M parameters. */
  gpt2: { ...DEFAULT_GPT_CONFIG },
  /** Hugging Face's distilled GPT-2: 6 layers, 768 wide, 82M parameters. */
  distilgpt2: { ...DEFAULT_GPT_CONFIG, nLayer: 6 },
  /** GPT-2 medium: 24 layers, 1024 wide, 16 heads, 355M parameters. */
  "gpt2-medium": { ...DEFAULT_GPT_CONFIG, nLayer: 24, nHead: 16, nEmbd: 1024 },
  /** GPT-2 large: 36 layers, 1280 wide, 20 heads, 1024 context, 774M parameters. */
  "gpt2-large": { ...DEFAULT_GPT_CONFIG, nLayer: 36, nHead: 20, nEmbd: 1280 },
  /** GPT-2 XL: 48 layers, 1600 wide, 25 heads, 1024 context, 1.56B parameters. */
  "gpt2-xl": { ...DEFAULT_GPT_CONFIG, nLayer: 48, nHead: 25, nEmbd: 1600 },
  /** Laptop size: vocab 8192, context 128, 6 layers, 256 wide, 8 heads: 6.9M parameters. */
  small: { ...DEFAULT_GPT_CONFIG, vocabSize: 8192, blockSize: 128, nLayer: 6, nHead: 8, nEmbd: 256 },
  /** Laptop size: vocab 4096, context 128, 4 layers, 128 wide, 4 heads: 1.3M parameters. */
  tiny: { ...DEFAULT_GPT_CONFIG, vocabSize: 4096, blockSize: 128, nLayer: 4, nHead: 4, nEmbd: 128 },
  /** For tests: vocab 256, context 32, 2 layers, 32 wide, 2 heads: 35K parameters. */
  test: { ...DEFAULT_GPT_CONFIG, vocabSize: 256, blockSize: 32, nLayer: 2, nHead: 2, nEmbd: 32 },
} satisfies Record<string, GPTConfig>);

export type GPTPresetName = keyof typeof GPT_PRESETS;

/**
 * Fills defaults and checks a config; throws a ConfigError naming the field and how to fix it.
 * Unknown keys are refused so that a typo ("n_layers") does not pass silently.
 */
export function gptConfig(
  overrides: Partial<GPTConfig> & Record<string, unknown> = {},
  base: GPTConfig = DEFAULT_GPT_CONFIG,
): GPTConfig {
  return GPT_CONFIG.make(overrides, base);
}

/** A preset by name, optionally changed: gptPreset("tiny", { dropout: 0.1 }). */
export function gptPreset(name: GPTPresetName, overrides: Partial<GPTConfig> = {}): GPTConfig {
  const base = GPT_PRESETS[name];
  if (!base) refuseUnknownKeys("gptPreset", { [name]: true }, Object.keys(GPT_PRESETS), "preset");
  return gptConfig(overrides, base);
}

/** Number of trainable parameters of a config (counted without building the model). */
export function countParameters(c: GPTConfig): number {
  const C = c.nEmbd;
  const block =
    2 * 2 * C /* ln_1, ln_2 */ +
    (C * 3 * C + 3 * C) /* c_attn */ +
    (C * C + C) /* attn c_proj */ +
    (C * 4 * C + 4 * C) /* c_fc */ +
    (4 * C * C + C); /* mlp c_proj */
  const head = c.tieEmbeddings ? 0 : c.vocabSize * C;
  return c.vocabSize * C + c.blockSize * C + c.nLayer * block + 2 * C /* ln_f */ + head;
}
