// The public API is a decision: src/index.ts exports exactly these names. Adding or removing one
// means changing this list in the same commit. The rule holds both ways: every name a notebook uses
// is exported, and every exported value is used by a notebook (wb.<name>) or documented in the README or
// scale-out/README.md (the errors a learner's cell meets, the functions the README's sections show). Commands, tests and
// benchmarks import the modules themselves.
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
  "TemplateRenderError",
  "accuracyRows",
  "answerSets",
  "barChart",
  "buildFewShotPrompt",
  "buildInstructionDataset",
  "chanceAccuracy",
  "compareTasksOnTest",
  "confusionRows",
  "countParameters",
  "crossEntropyRows",
  "defineTemplate",
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
  "finetune",
  "finetuneProgress",
  "forgettingRows",
  "formatBytes",
  "formatMemoryReport",
  "frameRecords",
  "fullFineTuningSentence",
  "generate",
  "gradedTokens",
  "gradientNormChart",
  "hyperparametersOfRun",
  "initBackend",
  "inspectOneStep",
  "judgedReviews",
  "learningRateCurve",
  "lessonData",
  "lessonHyperparameters",
  "lessonTraining",
  "lineChart",
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
  "nextTokenDistribution",
  "nextTokenLoss",
  "normalizeAnswer",
  "planRows",
  "pretrain",
  "pretrainConfig",
  "pretrainingVsFinetuningRows",
  "previewTemplates",
  "readPretrainingFacts",
  "saveCheckpoint",
  "saveTaskSummary",
  "scoreChoices",
  "scoreChoicesBatch",
  "seedComparison",
  "seedSummaryRows",
  "showFigure",
  "showMarkdown",
  "showTable",
  "splitDataset",
  "staticImageStatus",
  "stepRows",
  "stepSentence",
  "taskComparisonChart",
  "taskComparisonRows",
  "taskConfusion",
  "taskSummaryMarkdown",
  "teacherForcingRows",
  "templateTable",
  "tokenLengthStats",
  "tokenStream",
  "tokenizeExamples",
  "trainBPE",
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

  it("exports no value that no notebook uses and the README does not document", () => {
    assert.deepEqual(
      unusedExports(
        VALUES,
        notebookTexts(),
        ["README.md", "scale-out/README.md"].map((f) => fs.readFileSync(path.join(ROOT, f), "utf8")).join("\n"),
      ),
      [],
    );
  });

  it("notices an export nothing uses (the check itself works)", () => {
    assert.deepEqual(unusedExports(["shown", "documented", "orphan"], ["wb.shown(1)"], "call `documented` here"), [
      "orphan",
    ]);
  });
});

/** Every notebook's JSON text. */
function notebookTexts(): string[] {
  return fs
    .readdirSync(path.join(ROOT, "notebooks"))
    .filter((f) => f.endsWith(".ipynb"))
    .map((f) => fs.readFileSync(path.join(ROOT, "notebooks", f), "utf8"));
}

/** The names neither used as wb.<name> in a notebook nor named as a word in the README. */
function unusedExports(names: readonly string[], notebooks: readonly string[], readme: string): string[] {
  return names.filter(
    (n) =>
      !notebooks.some((text) => new RegExp(`\\bwb\\.${n}\\b`).test(text)) && !new RegExp(`\\b${n}\\b`).test(readme),
  );
}
