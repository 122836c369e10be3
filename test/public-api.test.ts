// The public API is a decision: src/index.ts exports exactly these names. Adding or removing one
// means changing this list in the same commit, and every name must be used by a notebook, a
// documented command or a learner's cell (the errors and types one meets there).
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import * as wb from "../src/index";
import { ROOT } from "./support/notebooks";

const VALUES = [
  "BPETokenizer",
  "ConfigError",
  "DataFileError",
  "GPT",
  "LARGE_GPT2_CONFIGS",
  "LiveCurves",
  "PLOTLY_MIME",
  "SeededRandom",
  "TemplateRenderError",
  "accuracyRows",
  "answerSets",
  "backendChoice",
  "barChart",
  "bestBaseResult",
  "buildFewShotPrompt",
  "buildInstructionDataset",
  "chanceAccuracy",
  "chromiumPath",
  "closePngRenderer",
  "compareTasksOnTest",
  "confusionMatrix",
  "confusionRows",
  "countParameters",
  "crossEntropyRows",
  "defineTemplate",
  "describeBackend",
  "distributionChart",
  "ensureFinetuned",
  "estimateTrainingMemory",
  "evaluateByGeneration",
  "evaluateByLikelihood",
  "evaluateTasks",
  "evaluationsOf",
  "exampleLoss",
  "exportJsonl",
  "exportScaleOutJob",
  "fewShotBudget",
  "fewShotPrompts",
  "figureBundle",
  "figureToText",
  "finetune",
  "finetuneProgress",
  "forgettingRows",
  "formatBytes",
  "formatMemoryReport",
  "frameRecords",
  "fullFineTuningSentence",
  "generate",
  "generateBatch",
  "gptConfig",
  "gptPreset",
  "gradedTokens",
  "gradientNormChart",
  "hyperparametersOfRun",
  "initBackend",
  "inspectOneStep",
  "judgeAccuracy",
  "judgedReviews",
  "learningRateCurve",
  "lessonData",
  "lessonHyperparameters",
  "lessonTraining",
  "lineChart",
  "listTemplates",
  "liveDisplay",
  "loadBaseModel",
  "loadCheckpoint",
  "loadEmbeddedDataset",
  "loadModelConfig",
  "loadPretrainingCorpus",
  "loadReviewFile",
  "maskedCrossEntropy",
  "measureForgetting",
  "measureMatMul",
  "measureTrainingMemory",
  "memoryReport",
  "nextTokenDistribution",
  "nextTokenLoss",
  "normalizeAnswer",
  "planRows",
  "pretrain",
  "pretrainConfig",
  "pretrainingVsFinetuningRows",
  "previewTemplates",
  "projectPath",
  "readPretrainingFacts",
  "resultOf",
  "rougeL",
  "saveCheckpoint",
  "saveTaskSummary",
  "scoreChoices",
  "scoreChoicesBatch",
  "scoreTasks",
  "seedComparison",
  "seedSummaryRows",
  "setDisplaySink",
  "setNoticeHandler",
  "showFigure",
  "showMarkdown",
  "showTable",
  "splitDataset",
  "staticImageStatus",
  "stepRows",
  "stepSentence",
  "tableBundle",
  "taskComparisonChart",
  "taskComparisonRows",
  "taskConfusion",
  "taskReport",
  "taskScoreRows",
  "taskSummaryMarkdown",
  "teacherForcingRows",
  "templateTable",
  "tokenLengthStats",
  "tokenStream",
  "tokenizeExamples",
  "trainBPE",
  "trainSentimentJudge",
  "trainingMemoryComparison",
  "trainingMemoryTable",
  "validationRows",
  "versionReport",
];
const TYPES = [
  "BackendName",
  "DataFrame",
  "DisplayBundle",
  "EmbeddedDatasetName",
  "FinetuneConfig",
  "FinetuneEvent",
  "GPTConfig",
  "InstructionExample",
  "LessonHyperparameters",
  "Notice",
  "PlotlyFigure",
  "PretrainConfig",
  "PretrainEvent",
  "PromptTemplate",
  "ReviewRecord",
  "TaskAnswer",
  "TaskComparison",
  "TaskScore",
  "TemplateSpec",
];

describe("public API (src/index.ts)", () => {
  it("exports exactly the listed values", () => {
    assert.deepEqual(Object.keys(wb).sort(), [...VALUES].sort());
  });

  it("exports exactly the listed types", () => {
    const text = fs.readFileSync(path.join(ROOT, "src", "index.ts"), "utf8");
    const types = [...text.matchAll(/export type \{([^}]*)\} from/g)].flatMap((m) =>
      m[1]
        .split(",")
        .map((n) => n.trim())
        .filter(Boolean),
    );
    assert.deepEqual(types.sort(), [...TYPES].sort());
  });

  it("has every name a notebook uses", () => {
    const notebooks = fs.readdirSync(path.join(ROOT, "notebooks")).filter((f) => f.endsWith(".ipynb"));
    const used = new Set(
      notebooks.flatMap((f) =>
        [...fs.readFileSync(path.join(ROOT, "notebooks", f), "utf8").matchAll(/\bwb\.(\w+)/g)].map((m) => m[1]),
      ),
    );
    const missing = [...used].filter((n) => !VALUES.includes(n) && !TYPES.includes(n));
    assert.deepEqual(missing, [], "notebooks use names src/index.ts does not export");
  });
});
