// The workbook's one public entry, grouped by the step of the lesson that uses it.
//   import * as wb from "./src/index";   (in a notebook: the kernel runs at the repository root)
//
// It holds what the notebooks use and what the README documents for a learner's own cells (the
// errors a cell may throw among them), and the types of those; everything else stays inside its
// module, and the commands, tests and benchmarks import their modules directly.
// test/public-api.test.ts lists these names and checks the rule both ways, so a new export is a
// decision, not an accident.

// ---- 0 · Set-up: the backend, the machine, reproducibility (notebook 00)
export { initBackend } from "./runtime/backend";
export type { BackendName } from "./runtime/backend";
export { formatMemoryReport, formatBytes } from "./runtime/memory";
export { versionReport } from "./runtime/versions";
export { measureMatMul } from "./runtime/speed";
export { ConfigError } from "./util/config";
export { DataFileError } from "./util/data-file-error";
export type { Notice } from "./util/notices";

// ---- Showing results in a notebook: tables, charts, live displays (every notebook)
export { showFigure, showTable, showMarkdown } from "./notebook/display";
export type { DisplayBundle } from "./notebook/display";
export type { PlotlyFigure } from "./notebook/figure";
export { lineChart, barChart } from "./notebook/charts";
export { LiveCurves } from "./notebook/live-curves";
export { staticImageStatus } from "./notebook/png";

// ---- 1 · The base model, zero-shot and few-shot (notebook 01)
export { GPT } from "./model/gpt";
export { countParameters } from "./model/config";
export type { GPTConfig } from "./model/config";
export { loadCheckpoint, loadModelConfig, saveCheckpoint } from "./model/checkpoint";
export { BPETokenizer } from "./model/tokenizer";
export { generate } from "./model/generate";
export { scoreChoices, scoreChoicesBatch } from "./model/score";
export { maskedCrossEntropy, nextTokenLoss } from "./train/loss";
export { loadBaseModel } from "./lesson/base-model";

// ---- 2 · The instruction dataset: reviews, templates, split, few-shot budget, export (notebook 02)
export { loadEmbeddedDataset } from "./data/embedded";
export type { EmbeddedDatasetName } from "./data/embedded";
export { loadReviewFile } from "./data/review-file";
export type { ReviewRecord } from "./data/reviews";
export { frameRecords } from "./data/frame";
export type { DataFrame } from "./data/frame";
export { defineTemplate, templateTable } from "./prompts/registry";
export { TemplateRenderError } from "./prompts/template";
export type { PromptTemplate, TemplateSpec } from "./prompts/template";
export { buildInstructionDataset, previewTemplates } from "./prompts/instruction-dataset";
export type { InstructionExample } from "./prompts/instruction-dataset";
export { splitDataset } from "./data/split";
export { buildFewShotPrompt, fewShotBudget } from "./prompts/few-shot";
export { tokenLengthStats } from "./prompts/token-stats";
export { exportJsonl } from "./data/jsonl-export";

// ---- 3 · Full fine-tuning: hyperparameters, the loss mask, memory, the loop (notebook 03)
export { lessonHyperparameters } from "./lesson/hyperparameters";
export type { LessonHyperparameters } from "./lesson/hyperparameters";
export { lessonData } from "./lesson/lesson-data";
export { ensureFinetuned, lessonTraining } from "./lesson/finetuned";
export { hyperparametersOfRun } from "./lesson/runs";
export { tokenizeExamples } from "./train/sft-batches";
export { gradedTokens, exampleLoss, teacherForcingRows } from "./lesson/inspect";
export { estimateTrainingMemory } from "./train/memory-estimate";
export { measureTrainingMemory } from "./train/memory-measure";
export {
  trainingMemoryTable,
  trainingMemoryComparison,
  fullFineTuningSentence,
  LARGE_GPT2_CONFIGS,
} from "./lesson/memory-tables";
export { finetune } from "./train/finetune";
export type { FinetuneConfig } from "./train/finetune-config";
export type { FinetuneEvent } from "./train/finetune-state";
export { finetuneProgress } from "./lesson/progress";
export { planRows, learningRateCurve } from "./train/training-plan";
export { inspectOneStep } from "./train/one-step";
export { gradientNormChart, stepRows, stepSentence } from "./lesson/one-step-view";
export { validationRows, evaluationsOf } from "./lesson/validation-table";
export { readPretrainingFacts, pretrainingVsFinetuningRows } from "./lesson/pretraining-vs-finetuning";

// ---- 4 · Evaluation: the instruct model against the base model and a bag of words (notebook 04)
export { evaluateByGeneration, evaluateByLikelihood, answerSets } from "./eval/evaluate";
export { normalizeAnswer, accuracyRows, confusionRows, chanceAccuracy } from "./eval/metrics";
export { fewShotPrompts } from "./eval/comparison";
export { evaluateTasks } from "./eval/tasks";
export type { TaskAnswer, TaskScore } from "./eval/tasks";
export { compareTasksOnTest, taskComparisonRows, judgedReviews, taskConfusion } from "./eval/task-comparison";
export type { TaskComparison } from "./eval/task-comparison";
export { measureForgetting, forgettingRows } from "./lesson/forgetting";
export { saveTaskSummary, taskSummaryMarkdown } from "./lesson/summary";
export { taskComparisonChart } from "./lesson/task-chart";
export { nextTokenDistribution } from "./model/next-token";
export { distributionChart, crossEntropyRows } from "./lesson/distribution-chart";
export { seedComparison } from "./lesson/seeds";
export { seedSummaryRows } from "./eval/seed-summary";

// ---- Scale out: the same job on Hugging Face TRL (scale-out/README.md); TRL's model loads back with loadCheckpoint
export { exportScaleOutJob } from "./lesson/scale-out";

// ---- 5 · Appendix: where the base model came from, pre-training (notebook 05)
export { loadPretrainingCorpus } from "./data/pretraining-corpus";
export { trainBPE } from "./model/bpe-train";
export { tokenStream } from "./train/token-stream";
export { pretrain, pretrainConfig } from "./train/pretrain";
export type { PretrainConfig, PretrainEvent } from "./train/pretrain";
