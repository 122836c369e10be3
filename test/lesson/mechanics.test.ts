// What the notebooks show of the lesson's mechanics, checked against independent arithmetic: the
// next-token distribution and its cross-entropy, teacher forcing, the pre-training record read from
// the model card, the run a notebook records for the next one, and the conclusion's wording.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { initBackend } from "../../src/runtime/backend";
import { trainBPE } from "../../src/model/bpe-train";
import { gptConfig } from "../../src/model/config";
import { GPT } from "../../src/model/gpt";
import { nextTokenDistribution } from "../../src/model/next-token";
import { scoreChoices } from "../../src/model/score";
import { tokenizeExamples } from "../../src/train/sft-batches";
import { exampleLoss, teacherForcingRows } from "../../src/lesson/inspect";
import { randomWindows } from "../../src/train/token-stream";
import { gradedPositions } from "../../src/train/training-plan";
import { crossEntropyRows, distributionChart } from "../../src/lesson/distribution-chart";
import { pretrainingVsFinetuningRows, readPretrainingFacts } from "../../src/lesson/pretraining-vs-finetuning";
import { BASE_MODEL_DIR } from "../../src/lesson/base-model";
import { DEFAULT_LESSON_HYPERPARAMETERS, lessonHyperparameters } from "../../src/lesson/hyperparameters";
import { hyperparametersOfRun, recordRun } from "../../src/lesson/runs";
import { taskSummaryMarkdown } from "../../src/lesson/summary";
import { seedSummaryRows } from "../../src/eval/seed-summary";
import type { TaskComparison, TaskResult } from "../../src/eval/task-comparison";
import type { Forgetting } from "../../src/lesson/forgetting";
import type { FinetuneState } from "../../src/train/finetune-state";

describe("the lesson's mechanics, as the notebooks show them", function () {
  this.timeout(120_000);
  const texts = ["Great phone, works well", "Broke after a week", "I love this case", "Waste of money"];
  const tokenizer = trainBPE(
    texts.flatMap((t) => [`Review: ${t}\nSentiment: positive`, `Review: ${t}\nSentiment: negative`]),
    { vocabSize: 280 },
  );
  let model: GPT;
  before(async () => {
    await initBackend({ quiet: true });
    model = new GPT(gptConfig({ vocabSize: tokenizer.vocabSize, blockSize: 64, nLayer: 1, nHead: 2, nEmbd: 16 }), 11);
  });
  after(() => model.dispose());

  it("gives the next token's distribution: sorted, summing to one, the target's -ln p equal to its log-likelihood", () => {
    const prompt = "Review: Waste of money\nSentiment:";
    const d = nextTokenDistribution(model, tokenizer, prompt, { top: 10, target: " negative" });
    assert.equal(d.top.length, 10);
    for (let i = 1; i < d.top.length; i++) assert.ok(d.top[i].probability <= d.top[i - 1].probability);
    assert.ok(Math.abs(d.top.reduce((s, t) => s + t.probability, 0) + d.rest - 1) < 1e-6);
    const firstToken = tokenizer.encode(" negative")[0];
    assert.equal(d.target!.id, firstToken);
    // Independently: the log-likelihood scoreChoices gives the same one-token answer after the prompt.
    const scored = scoreChoices(model, tokenizer, prompt, [[firstToken]]);
    assert.ok(
      Math.abs(d.target!.crossEntropy + scored.logLikelihoods[0]) < 1e-4,
      `${d.target!.crossEntropy} vs ${-scored.logLikelihoods[0]}`,
    );
    assert.ok(d.target!.rank >= 1 && d.target!.rank <= tokenizer.vocabSize);
    assert.throws(() => nextTokenDistribution(model, tokenizer, "x".repeat(400)), /context window is 64/);

    const sides = [
      { name: "a", distribution: d },
      { name: "b", distribution: nextTokenDistribution(model, tokenizer, prompt, { target: " negative" }) },
    ];
    const chart = distributionChart(sides);
    assert.equal(chart.data.length, 3, "one panel per model and the one-hot target");
    assert.deepEqual(chart.data[2].x, [1, 0]);
    for (const panel of chart.data.slice(0, 2)) {
      const x = panel.x as number[];
      const y = panel.y as string[];
      const colors = (panel.marker as { color: string[] }).color;
      assert.ok(Math.abs(x.reduce((a, b) => a + b, 0) - 1) < 1e-3, "a panel's bars sum to 1");
      assert.equal(y[y.length - 1], `the other ${(tokenizer.vocabSize - y.length + 1).toLocaleString("en-US")} tokens`);
      // The right answer's bar, orange: in the top ten, or added below them with its rank.
      const k = colors.indexOf("#ff7f0e");
      assert.ok(k >= 0, "no bar for the right answer");
      assert.ok(y[k].startsWith(JSON.stringify(d.target!.token)));
      if (d.target!.rank > 10) assert.match(y[k], /\(rank \d+\)$/);
    }
    const rows = crossEntropyRows(sides);
    assert.match(String(rows[0]["cross-entropy = -ln p"]), /^-ln [\d.e-]+ = [\d.]+ nats$/);
  });

  it("shows teacher forcing: each answer position, with the probability training grades", () => {
    const [example] = tokenizeExamples(
      [{ prompt: "Review: I love this case\nSentiment:", completion: " positive, works well" }],
      tokenizer,
      { maxLength: 64 },
    ).examples;
    const rows = teacherForcingRows(model, tokenizer, example);
    assert.equal(rows.length, example.completionTokens + 1, "every answer token and the end-of-text");
    assert.deepEqual(
      rows.map((r) => r.position),
      example.lossMask.flatMap((m, t) => (m > 0 ? [t] : [])),
    );
    // Independently: the mean -ln p of the rows is the masked loss the training step computes.
    const meanSurprise = rows.reduce((s, r) => s - Math.log(Number(r["p(right token)"])), 0) / rows.length;
    const { loss } = exampleLoss(model, tokenizer, example);
    assert.ok(Math.abs(meanSurprise - loss) < 5e-3 * loss, `${meanSurprise} vs the loss ${loss}`);
  });

  it("reads the shipped base model's pre-training from pretraining.json, which agrees with its card, and refuses a folder without it", () => {
    const pre = readPretrainingFacts();
    assert.equal(pre.steps, 5000);
    assert.equal(pre.batchSize, 16);
    assert.equal(pre.window, 256);
    assert.equal(pre.tokensSeen, pre.steps * pre.batchSize * pre.window);
    assert.equal(pre.trainingSeconds, 1 * 3600 + 52 * 60 + 16);
    assert.equal(pre.learningRate, 0.002);
    assert.equal(pre.sources.length, 3);
    const run = {
      step: 576,
      tokensSeen: 300_000,
      gradedTokens: 60_000,
      elapsedSeconds: 61,
      config: { batchSize: 16, learningRate: 5e-4 },
    } as unknown as FinetuneState;
    const rows = pretrainingVsFinetuningRows(pre, run, { trainExamples: 2296, tasks: 3 });
    const row = (aspect: string) => rows.find((r) => r[""] === aspect)!;
    // What pre-training grades, counted on a real batch of its windows (16 x 256, as the card says).
    const stream = Int32Array.from({ length: 5000 }, (_, i) => i % 97);
    const { ids, mask } = randomWindows(stream, pre.batchSize, pre.window, 0, 1);
    const perStep = gradedPositions({ inputIds: ids.arraySync(), lossMask: mask.arraySync(), indices: [], tokens: 0 });
    ids.dispose();
    mask.dispose();
    assert.equal(row("tokens graded")["pre-training (the base model)"], (pre.steps * perStep).toLocaleString("en-US"));
    assert.equal(
      row("training time")["pre-training (the base model)"],
      "1:52:16 (6,736 s) on Intel(R) Xeon(R) Processor (its model card)",
    );
    assert.equal(row("training time")["fine-tuning (this notebook)"], "1:01 (61 s) (measured by the run)");
    assert.equal(row("share of tokens graded")["fine-tuning (this notebook)"], "20.0%");
    assert.match(row("data")["fine-tuning (this notebook)"], /2,296 training examples of 3 tasks/);

    // The card (for people) and pretraining.json (for the notebook) say the same.
    const card = fs.readFileSync(path.join(BASE_MODEL_DIR, "README.md"), "utf8");
    const n = (x: number) => x.toLocaleString("en-US");
    for (const said of [
      `This run: ${n(pre.steps)} steps of ${pre.batchSize} x ${pre.window} tokens, ${n(pre.tokensSeen)} tokens in all`,
      `| tokens seen | ${n(pre.tokensSeen)} |`,
      "| training time | 1:52:16 |",
      `| machine | ${pre.machine} |`,
      `${n(pre.corpusCharacters)} characters in all.`,
      `learning rate ${pre.learningRate} after`,
      ...pre.sources.map((source) => `| ${source} (`),
    ])
      assert.ok(card.includes(said), `the model card does not say "${said}"`);

    const folder = fs.mkdtempSync(path.join(os.tmpdir(), "workbook-card-"));
    fs.writeFileSync(
      path.join(folder, "pretraining.json"),
      JSON.stringify({ ...pre, steps: "5000", machine: undefined }),
    );
    assert.throws(
      () => readPretrainingFacts(folder),
      /pretraining\.json lacks steps, machine \(or has the wrong type\)/,
    );
    fs.rmSync(folder, { recursive: true });
    assert.throws(
      () => readPretrainingFacts(folder),
      /pretraining\.json is missing; npm run pretrain -- --ship writes it/,
    );
  });

  it("hands notebook 4 the run notebook 3 recorded, and says which", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "workbook-runs-"));
    try {
      const none = hyperparametersOfRun("notebook-03", { fewShot: 2 }, root);
      assert.equal(none.recorded, false);
      assert.equal(none.hp.fewShot, 2);
      assert.equal(none.hp.epochs, DEFAULT_LESSON_HYPERPARAMETERS.epochs);
      assert.match(none.which, /No run recorded as "notebook-03"/);

      const hp = lessonHyperparameters({ epochs: 1, seed: 3 });
      recordRun("notebook-03", hp, path.join(root, "finetune-abc"), root);
      const got = hyperparametersOfRun("notebook-03", { fewShot: 2 }, root);
      assert.equal(got.recorded, true);
      assert.deepEqual({ ...got.hp, fewShot: hp.fewShot }, hp);
      assert.equal(got.hp.fewShot, 2);
      assert.match(got.which, /finetune-abc, with the lesson's defaults except /);
      assert.match(got.which, /epochs = 1/);
      assert.match(got.which, /seed = 3/);

      // A recorded template this kernel does not know: a clear error, not another model.
      fs.writeFileSync(
        path.join(root, "notebook-03.json"),
        JSON.stringify({ folder: "x", hyperparameters: { ...hp, templates: ["my-thumbs"] } }),
      );
      assert.throws(() => hyperparametersOfRun("notebook-03", {}, root), /cannot be read back.*define that template/s);
      assert.throws(() => hyperparametersOfRun("../elsewhere", {}, root), /not a plain name/);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  /** A comparison made by hand: per group, the method's written score. */
  function comparisonOf(scores: Record<string, Record<string, number>>): TaskComparison {
    const results: TaskResult[] = [];
    for (const [group, byMethod] of Object.entries(scores))
      for (const [method, score] of Object.entries(byMethod))
        results.push({
          method,
          group,
          task: group,
          metric: "accuracy",
          scoring: "generation",
          templates: [],
          n: 100,
          score,
          ci95: [score - 0.1, score + 0.1],
          invalid: 0,
        } as TaskResult);
    return {
      results,
      answers: {},
      judge: { trainedOn: "x", accuracy: { n: 1, correct: 1, invalid: 0, accuracy: 1, ci95: [0, 1] } },
      groups: Object.keys(scores),
      fewShot: 3,
      testExamples: 100,
    };
  }

  it("writes the conclusion from the numbers, differences in points", () => {
    const c0 = comparisonOf({
      sentiment: { "base zero-shot": 0.5, "base 3-shot": 0.45, "instruct model": 0.8, "bag of words": 0.83 },
    });
    const c1 = comparisonOf({ sentiment: { "instruct model": 0.7, "bag of words": 0.8 } });
    const forgetting = {
      base: { bitsPerCharacter: 1.5 },
      instruct: { bitsPerCharacter: 2.1 },
      documents: 3,
    } as Forgetting;
    const md = taskSummaryMarkdown(c0, forgetting, {
      epochs: 4,
      seeds: [
        { seed: 0, comparison: c0 },
        { seed: 1, comparison: c1 },
      ],
    });
    assert.match(
      md,
      /the instruct model scores 80\.0% against the base model's best 50\.0% \(base zero-shot, written\): \+30\.0 points\./,
    );
    assert.match(md, /The bag of words scores 83\.0% \(the instruct model -3\.0 points\)\./);
    assert.match(md, /Over seeds 0, 1 it scores 70\.0% to 80\.0% \(mean 75\.0%\)\./);
    assert.match(md, /needs 2\.100 bits per character against the base model's 1\.500: 0\.600 more, what 4 epochs/);
    assert.doesNotMatch(md, /did not help/);

    const rows = seedSummaryRows([
      { seed: 0, comparison: c0 },
      { seed: 1, comparison: c1 },
    ]);
    // The base model was scored on seed 0 only: its rows are left out, the others averaged.
    assert.deepEqual(
      rows.map((r) => r.method),
      ["instruct model", "bag of words"],
    );
    assert.equal(rows[0].mean, "75.0%");
    assert.equal(rows[0].std, "7.1%"); // sample standard deviation of 0.8 and 0.7
  });
});
