// The message of a run stopped by a NaN loss (src/train/nan-stop.ts) says what really happens: which
// checkpoint was kept and whether it is sound, and that running again unchanged stops again.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { finetuneConfig } from "../../src/train/finetune-config";
import { newFinetuneState, type FinetuneState } from "../../src/train/finetune-state";
import { nanStopError } from "../../src/train/nan-stop";

describe("the NaN stop's message", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "workbook-nan-"));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const config = finetuneConfig({ learningRate: 1e6 });
  const stop = (latest: string, state: FinetuneState) =>
    nanStopError({ loss: NaN, step: 3, epoch: 1, state, latest, bestFolder: path.join(dir, "best"), vocabSize: 8192 })
      .message;

  it("says when no checkpoint was written yet, without pointing to one", () => {
    const message = stop(path.join(dir, "never", "latest"), newFinetuneState(config));
    assert.match(
      message,
      /^Fine-tuning stopped at step 3 \(epoch 1\): the loss is NaN\. No checkpoint was written before it/,
    );
    assert.doesNotMatch(message, /last checkpoint|best model so far/);
    assert.match(message, /Lower learningRate \(it is 1000000; try 100000\)/);
    assert.match(message, /that is a new run, which starts from the base model/);
  });

  it("does not call sound a checkpoint whose loss had already exploded", () => {
    const latest = path.join(dir, "exploded", "latest");
    fs.mkdirSync(latest, { recursive: true });
    const state: FinetuneState = {
      ...newFinetuneState(config),
      step: 2,
      history: [
        { step: 1, epoch: 0.1, trainLoss: 9.2, learningRate: 1e5 },
        { step: 2, epoch: 0.2, trainLoss: 5.08e8, learningRate: 2e5 },
      ],
    };
    fs.writeFileSync(path.join(latest, "state.json"), JSON.stringify(state));
    const message = stop(latest, state);
    assert.match(message, /The last checkpoint, at step 2, is in .*exploded.latest \(its training loss: 5\.080e\+8\)/);
    assert.match(message, /had already diverged there \(above 9\.01, what guessing every token uniformly scores\)/);
    assert.doesNotMatch(message, /still sound/);
  });
});
