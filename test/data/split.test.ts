// Splitting by source record: seeded, stratified by label, no record in two splits, held-out templates.
import assert from "node:assert/strict";
import { splitConfig, splitDataset, splitReport } from "../../src/data/split";

interface Ex { sourceId: string; label: string; templateId: string; }

/** n source records (labels cycling through `labels`), each rendered with every template. */
function examples(n: number, labels: string[], templates: string[]): Ex[] {
  const out: Ex[] = [];
  for (let i = 0; i < n; i++) for (const t of templates) out.push({ sourceId: `s${i}`, label: labels[i % labels.length], templateId: t });
  return out;
}

function sources(list: readonly Ex[]): Set<string> {
  return new Set(list.map((e) => e.sourceId));
}

describe("splitDataset", () => {
  it("splits 80/10/10 per label, keeping every record's examples in one split", () => {
    const data = examples(200, ["negative", "positive"], ["a", "b", "c"]);
    const s = splitDataset(data, { seed: 0 });
    assert.deepEqual([s.train.length, s.validation.length, s.test.length], [480, 60, 60]);
    const [tr, va, te] = [sources(s.train), sources(s.validation), sources(s.test)];
    assert.deepEqual([tr.size, va.size, te.size], [160, 20, 20]);
    for (const id of tr) assert.ok(!va.has(id) && !te.has(id), `${id} is in two splits`);
    for (const id of va) assert.ok(!te.has(id), `${id} is in two splits`);
    for (const split of [s.train, s.validation, s.test]) {
      assert.equal(split.filter((e) => e.label === "positive").length * 2, split.length, "balanced like the whole");
    }
    assert.deepEqual(s.report, [
      { split: "train", examples: 480, sources: 160, templates: 3, negative: "240 (50.0%)", positive: "240 (50.0%)" },
      { split: "validation", examples: 60, sources: 20, templates: 3, negative: "30 (50.0%)", positive: "30 (50.0%)" },
      { split: "test", examples: 60, sources: 20, templates: 3, negative: "30 (50.0%)", positive: "30 (50.0%)" },
      { split: "total", examples: 600, sources: 200, templates: 3, negative: "300 (50.0%)", positive: "300 (50.0%)" },
    ]);
  });

  it("keeps the examples' order within a split, and gives the same split for the same seed only", () => {
    const data = examples(50, ["negative", "positive"], ["a"]);
    const a = splitDataset(data, { seed: 7 }), b = splitDataset(data, { seed: 7 }), c = splitDataset(data, { seed: 8 });
    assert.deepEqual(a.test, b.test);
    assert.notDeepEqual(a.test.map((e) => e.sourceId), c.test.map((e) => e.sourceId));
    const order = (list: Ex[]) => list.map((e) => Number(e.sourceId.slice(1)));
    assert.deepEqual(order(a.train), order(a.train).slice().sort((x, y) => x - y));
  });

  it("stratifies unequal labels: each split keeps the 3:1 balance", () => {
    const data = examples(400, ["positive", "positive", "positive", "negative"], ["a"]);
    const s = splitDataset(data, { seed: 1, fractions: { train: 0.5, validation: 0.25, test: 0.25 } });
    assert.deepEqual(s.report.map((r) => [r.split, r.negative, r.positive]), [
      ["train", "50 (25.0%)", "150 (75.0%)"],
      ["validation", "25 (25.0%)", "75 (75.0%)"],
      ["test", "25 (25.0%)", "75 (75.0%)"],
      ["total", "100 (25.0%)", "300 (75.0%)"],
    ]);
  });

  it("keeps held-out templates out of train and validation, and all of the test records' templates in test", () => {
    const data = examples(100, ["negative", "positive"], ["a", "b", "held"]);
    const s = splitDataset(data, { seed: 3, heldOutTemplates: ["held"] });
    assert.ok(!s.train.some((e) => e.templateId === "held"));
    assert.ok(!s.validation.some((e) => e.templateId === "held"));
    assert.equal(s.test.filter((e) => e.templateId === "held").length, 10);
    assert.equal(s.test.length, 30);
    assert.equal(s.train.length, 160);
    assert.deepEqual(s.report.map((r) => r.templates), [2, 2, 3, 3]);
  });

  it("validates the config: fractions in [0, 1) adding to 1, unknown keys, held-out ids", () => {
    const data = examples(10, ["negative", "positive"], ["a"]);
    assert.throws(() => splitConfig({ fractions: { train: 0.8, validation: 0.1, test: 0.2 } }), /^ConfigError: SplitConfig\.fractions: must add up to 1, got 0\.8 \+ 0\.1 \+ 0\.2 = 1\.1\.$/);
    assert.throws(() => splitConfig({ fractions: { train: 1, validation: 0, test: 0 } }), /SplitConfig\.fractions: train must be in \[0, 1\), got 1\./);
    assert.throws(() => splitConfig({ fractions: { train: 0.9, validation: -0.1, test: 0.2 } }), /SplitConfig\.fractions: validation must be in \[0, 1\), got -0\.1\./);
    assert.throws(() => splitConfig({ fractions: { train: 0.9, test: 0.1 } as never }), /SplitConfig\.fractions: validation must be in \[0, 1\), got undefined\./);
    assert.throws(() => splitConfig({ fractions: { train: 0.8, valid: 0.1, test: 0.1 } as never }), /SplitConfig.fractions: unknown split "valid" \(did you mean "validation"\?\)/);
    assert.throws(() => splitConfig({ seeds: 1 } as never), /SplitConfig: unknown field "seeds" \(did you mean "seed"\?\); the fields are fractions, seed, heldOutTemplates\./);
    assert.deepEqual(splitConfig({ fractions: { train: 0.7, validation: 0.2, test: 0.1 } }).fractions, { train: 0.7, validation: 0.2, test: 0.1 });
    assert.throws(() => splitDataset(data, { heldOutTemplates: ["b"] }), /held-out template "b" has no examples; the examples' templates are a\./);
    assert.throws(() => splitDataset(data, { heldOutTemplates: ["a"] }), /every template is held out/);
    assert.throws(() => splitDataset([], {}), /there are no examples to split/);
    assert.throws(() => splitDataset([{ sourceId: "x", label: "positive", templateId: "a" }, { sourceId: "x", label: "negative", templateId: "b" }]),
      /the examples of source record x have two labels, "positive" and "negative"/);
  });

  it("allows an empty validation split", () => {
    const s = splitDataset(examples(20, ["negative", "positive"], ["a"]), { fractions: { train: 0.5, validation: 0, test: 0.5 } });
    assert.deepEqual([s.train.length, s.validation.length, s.test.length], [10, 0, 10]);
    assert.deepEqual(splitReport(s)[1], { split: "validation", examples: 0, sources: 0, templates: 0, negative: "0 (0.0%)", positive: "0 (0.0%)" });
  });
});
