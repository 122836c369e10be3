// One config helper for every config: frozen defaults, unknown keys refused with a suggestion,
// ranges checked, one error type, and command-line flags derived from the same rules.
import assert from "node:assert/strict";
import path from "node:path";
import { parseFinetuneArgs } from "../../src/cli/finetune";
import { parsePretrainArgs } from "../../src/cli/pretrain";
import { DEFAULT_LESSON_HYPERPARAMETERS, lessonHyperparameters } from "../../src/lesson/hyperparameters";
import { runFolder } from "../../src/lesson/runs";
import { DEFAULT_FINETUNE_CONFIG } from "../../src/train/finetune-config";
import { bagOfWordsConfig } from "../../src/eval/bag-of-words";
import { ConfigError, defineConfig, didYouMean } from "../../src/util/config";

describe("config helper", () => {
  const SHAPES = defineConfig(
    "ShapeConfig",
    { width: 4, ratio: 0.5, name: "box", tags: ["a"], on: true },
    {
      width: { type: "integer", min: 1, max: 10 },
      ratio: { type: "number", above: 0, below: 1 },
      name: { type: "string", oneOf: ["box", "ball"] },
      tags: { type: "list", of: "string" },
      on: { type: "boolean" },
    },
    (c, fail) => {
      if (c.name === "ball" && c.width > 5) fail("width", "a ball is at most 5 wide.");
    },
  );

  it("fills defaults into a fresh object and leaves the frozen defaults alone", () => {
    const c = SHAPES.make({ width: 7 });
    assert.deepEqual(c, { width: 7, ratio: 0.5, name: "box", tags: ["a"], on: true });
    c.tags.push("b"); // the caller's own copy
    assert.deepEqual(SHAPES.defaults.tags, ["a"]);
    assert.throws(() => {
      (SHAPES.defaults as { width: number }).width = 1;
    }, TypeError);
    assert.throws(() => {
      (SHAPES.defaults.tags as string[]).push("c");
    }, TypeError);
  });

  it("refuses unknown keys with the closest name, and bad values naming the field and the range", () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [
        { widht: 2 },
        /^ConfigError: ShapeConfig: unknown field "widht" \(did you mean "width"\?\); the fields are width, ratio, name, tags, on\.$/,
      ],
      [{ colour: "red" }, /unknown field "colour"; the fields are/], // nothing close: no guess
      [{ width: 0 }, /^ConfigError: ShapeConfig\.width: must be >= 1 and <= 10, got 0$/],
      [{ width: 2.5 }, /ShapeConfig\.width: must be a whole number, got 2\.5/],
      [{ ratio: 1 }, /ShapeConfig\.ratio: must be > 0 and < 1, got 1/],
      [{ ratio: Number.NaN }, /ShapeConfig\.ratio: must be a finite number, got NaN/],
      [{ name: "cube" }, /ShapeConfig\.name: must be one of "box", "ball", got "cube"/],
      [{ tags: "a" }, /ShapeConfig\.tags: must be a list, got "a"/],
      [{ tags: [1] }, /ShapeConfig\.tags: must be a list of strings/],
      [{ on: "yes" }, /ShapeConfig\.on: must be true or false, got "yes"/],
      [{ name: "ball", width: 6 }, /ShapeConfig\.width: a ball is at most 5 wide\./],
    ];
    for (const [overrides, message] of cases) {
      assert.throws(
        () => SHAPES.make(overrides),
        (err: unknown) => err instanceof ConfigError && message.test(String(err)),
        JSON.stringify(overrides),
      );
    }
  });

  it("suggests a name by edit distance or as a prefix, and nothing far off", () => {
    assert.equal(didYouMean("learningrate", ["learningRate", "epochs"]), "learningRate");
    assert.equal(didYouMean("valid", ["train", "validation", "test"]), "validation");
    assert.equal(didYouMean("n_layer", ["nLayer", "nHead"]), "nLayer");
    assert.equal(didYouMean("temperature", ["epochs", "seed"]), undefined);
  });

  it("derives command-line flags from the rules: kebab-case names, lists by commas, typed values", () => {
    const { overrides, extra } = SHAPES.fromArgs(["--width", "3", "--tags", "x,y", "--on", "--verbose"], {
      extra: { verbose: { type: "boolean" } },
    });
    assert.deepEqual(overrides, { width: 3, tags: ["x", "y"], on: true });
    assert.deepEqual(extra, { verbose: true });
    assert.throws(
      () => SHAPES.fromArgs(["--widht", "3"]),
      /Unknown option '--widht' \(did you mean --width\?\); the options are --width, --ratio/,
    );
    assert.throws(
      () => SHAPES.fromArgs(["--width", "eleven"]),
      /ShapeConfig\.width: --width must be a whole number, got NaN/,
    );
    assert.deepEqual(SHAPES.flags(), [
      "--width <integer>",
      "--ratio <number>",
      "--name <string>",
      "--tags <a,b>",
      "--on",
    ]);
  });
});

describe("the workbook's configs through the helper", () => {
  it("checks the lesson's hyperparameters with the fine-tuning rules, naming the field", () => {
    assert.throws(
      () => lessonHyperparameters({ epoch: 3 } as never),
      /Hyperparameters: unknown field "epoch" \(did you mean "epochs"\?\)/,
    );
    assert.throws(
      () => lessonHyperparameters({ learningRate: -1 }),
      /Hyperparameters\.learningRate: must be > 0, got -1/,
    );
    assert.throws(() => lessonHyperparameters({ templates: [] }), /Hyperparameters\.templates: must not be empty/);
    assert.throws(
      () => lessonHyperparameters({ templates: ["sentiment-clasify"] }),
      /Hyperparameters\.templates: .*sentiment-clasify/,
    );
    assert.throws(
      () => lessonHyperparameters({ dataset: "ebay" as never }),
      /Hyperparameters\.dataset: must be one of "amazon", "yelp"/,
    );
    assert.throws(
      () => lessonHyperparameters({ extraTrainingDatasets: ["amazon"] }),
      /Hyperparameters\.extraTrainingDatasets: "amazon" is the dataset itself/,
    );
    assert.throws(() => {
      (DEFAULT_LESSON_HYPERPARAMETERS.templates as string[]).push("x");
    }, TypeError);
    assert.throws(() => bagOfWordsConfig({ l2: 0 }), ConfigError);
  });

  it("refuses a maxLength above the base model's window where the hyperparameters are checked", () => {
    assert.throws(
      () => lessonHyperparameters({ maxLength: 1000 }),
      (err: unknown) =>
        err instanceof ConfigError &&
        /^ConfigError: Hyperparameters\.maxLength: is 1000, but the base model's context window is 256 tokens; use at most 256\.$/.test(
          String(err),
        ),
    );
    assert.equal(lessonHyperparameters({ maxLength: 256 }).maxLength, 256);
    // Another base model (npm run finetune -- --base) brings its own window.
    assert.equal(lessonHyperparameters({ maxLength: 1000 }, { contextWindow: 1024 }).maxLength, 1000);
  });

  it("takes its training defaults from FinetuneConfig's, but the two the lesson changes", () => {
    const differs = Object.keys(DEFAULT_LESSON_HYPERPARAMETERS).filter(
      (key) =>
        key in DEFAULT_FINETUNE_CONFIG &&
        (DEFAULT_LESSON_HYPERPARAMETERS as Record<string, unknown>)[key] !==
          (DEFAULT_FINETUNE_CONFIG as Record<string, unknown>)[key],
    );
    assert.deepEqual(differs.sort(), ["lossWeighting", "maxLength"]);
    // The fields' order is hashed into a run's folder: a reordering would orphan every saved run.
    assert.equal(path.basename(runFolder(lessonHyperparameters(), "0123456789abcdef", "/runs")), "finetune-0a3f91bd6b");
  });

  it("gives npm run finetune and npm run pretrain their flags from the same rules", () => {
    const a = parseFinetuneArgs([
      "--seeds",
      "0,4",
      "--lr",
      "1e-3",
      "--epochs",
      "2",
      "--templates",
      "sentiment-classify,sentiment-liked-yes-no",
      "--extra-training",
      "yelp",
      "--warmup",
      "0.2",
      "--fresh",
    ]);
    assert.deepEqual(a.seeds, [0, 4]);
    assert.equal(a.fresh, true);
    assert.deepEqual(a.overrides, {
      learningRate: 1e-3,
      epochs: 2,
      templates: ["sentiment-classify", "sentiment-liked-yes-no"],
      extraTrainingDatasets: ["yelp"],
      warmupFraction: 0.2,
    });
    assert.throws(() => parseFinetuneArgs(["--epoch", "2"]), /Unknown option '--epoch' \(did you mean --epochs\?\)/);
    assert.throws(() => parseFinetuneArgs(["--seed", "1"]), /Unknown option '--seed' \(did you mean --seeds\?\)/);
    assert.throws(() => parseFinetuneArgs(["--seeds", "a"]), /--seeds takes whole numbers/);
    assert.throws(() => parseFinetuneArgs(["--dataset", "ebay"]), /Hyperparameters\.dataset: --dataset must be one of/);
    const p = parsePretrainArgs(["--steps", "50", "--batch-size", "8", "--fresh"]);
    assert.deepEqual(p.overrides, { steps: 50, batchSize: 8, warmupSteps: 5 });
    assert.equal(p.fresh, true);
    assert.throws(() => parsePretrainArgs(["--step", "50"]), /did you mean --steps\?/);
  });
});
