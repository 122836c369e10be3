// The workbook's one public entry: notebooks, scripts and tests import from here.
//   import * as wb from "./src/index";   (in a notebook: the kernel runs at the repository root)
export { initBackend, describeBackend, backendChoice, BACKEND_ORDER } from "./runtime/backend";
export type { BackendName, BackendChoice, InitBackendOptions } from "./runtime/backend";
export { memoryReport, formatMemoryReport, formatBytes } from "./runtime/memory";
export type { MemoryReport } from "./runtime/memory";
export { SeededRandom } from "./runtime/random";
export { versionReport } from "./runtime/versions";
export { measureMatMul } from "./runtime/speed";
export type { MatMulSpeed } from "./runtime/speed";
export { projectRoot, projectPath } from "./runtime/paths";

export { showFigure, showTable, showMarkdown, liveDisplay, LiveDisplay, figureBundle, tableBundle, setDisplaySink, inNotebook, PLOTLY_MIME } from "./notebook/display";
export type { DisplayBundle, DisplaySink, FigureOptions } from "./notebook/display";
export { figureToText } from "./notebook/figure";
export type { PlotlyFigure, PlotlyTrace } from "./notebook/figure";
export { lineChart, barChart } from "./notebook/charts";
export type { Series } from "./notebook/charts";
export { renderFigurePng, closePngRenderer, chromiumPath } from "./notebook/png";

export { GPT } from "./model/gpt";
export type { KVCache, ForwardOptions } from "./model/gpt";
export { gptConfig, gptPreset, countParameters, GPT_PRESETS, DEFAULT_GPT_CONFIG } from "./model/config";
export type { GPTConfig, GPTPresetName } from "./model/config";
export { loadCheckpoint, saveCheckpoint, configFromHF, configToHF } from "./model/checkpoint";
export type { LoadedCheckpoint, SaveOptions } from "./model/checkpoint";
export { readSafetensors, writeSafetensors } from "./model/safetensors";
export { generate, pickToken } from "./model/generate";
export type { GenerateOptions, Generation, TextCodec } from "./model/generate";
export { scoreChoices, scoreChoicesBatch } from "./model/score";
export type { ChoiceItem, ChoiceScores } from "./model/score";
export { maskedCrossEntropy, nextTokenLoss } from "./train/loss";
export type { LanguageModel } from "./train/loss";
export { BPETokenizer, END_OF_TEXT, byteSymbols, preTokenize } from "./model/tokenizer";
export type { BPETokenizerOptions, SpecialToken } from "./model/tokenizer";
export { trainBPE } from "./model/bpe-train";
export type { TrainBPEOptions } from "./model/bpe-train";
export { AdamW, clipByGlobalNorm, learningRateAt, decaysByDefault, DEFAULT_ADAMW } from "./train/optimizer";
export type { AdamWConfig, AdamWState, ScheduleConfig } from "./train/optimizer";
