// Templates applied to records (or a DataFrame): the instruction dataset, and its JSONL export.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { reviewFrame } from "../../src/data/frame";
import { exportJsonl } from "../../src/data/jsonl-export";
import {
  buildInstructionDataset,
  previewTemplates,
  type InstructionExample,
} from "../../src/prompts/instruction-dataset";
import type { TemplateRenderError } from "../../src/prompts/template";

const records = [
  { sourceId: "r:1", text: "Great for the jawbone.", label: "positive" },
  { sourceId: "r:2", text: "Battery died in a day.", label: "negative" },
  { sourceId: "r:3", text: "It is fine.", label: "neutral" },
];

describe("instruction dataset", () => {
  it("renders every template on every record, in record order, with label, templateId, sourceId and task", () => {
    const ex = buildInstructionDataset(records.slice(0, 2), {
      templates: ["sentiment-classify", "review-write-sentiment"],
      mode: "all-per-record",
    });
    assert.deepEqual(ex, [
      {
        prompt: "Classify this review: Great for the jawbone.\nSentiment:",
        completion: " positive",
        label: "positive",
        templateId: "sentiment-classify",
        sourceId: "r:1",
        task: "sentiment-classification",
      },
      {
        prompt: "Write a positive review.",
        completion: " Great for the jawbone.",
        label: "positive",
        templateId: "review-write-sentiment",
        sourceId: "r:1",
        task: "review-generation",
      },
      {
        prompt: "Classify this review: Battery died in a day.\nSentiment:",
        completion: " negative",
        label: "negative",
        templateId: "sentiment-classify",
        sourceId: "r:2",
        task: "sentiment-classification",
      },
      {
        prompt: "Write a negative review.",
        completion: " Battery died in a day.",
        label: "negative",
        templateId: "review-write-sentiment",
        sourceId: "r:2",
        task: "review-generation",
      },
    ]);
  });

  it("gives each record one template drawn with the seed: the same seed the same draw, and every template used", () => {
    const many = Array.from({ length: 60 }, (_, i) => ({
      sourceId: `m:${i}`,
      text: `Review ${i}.`,
      label: i % 2 ? "positive" : "negative",
    }));
    const templates = ["sentiment-classify", "sentiment-liked-yes-no", "review-write-sentiment"];
    const a = buildInstructionDataset(many, { templates, seed: 5 });
    assert.equal(a.length, 60);
    assert.deepEqual(
      a.map((e) => e.sourceId),
      many.map((r) => r.sourceId),
    );
    assert.deepEqual(buildInstructionDataset(many, { templates, seed: 5 }), a);
    assert.notDeepEqual(
      buildInstructionDataset(many, { templates, seed: 6 }).map((e) => e.templateId),
      a.map((e) => e.templateId),
    );
    for (const t of templates) assert.ok(a.filter((e) => e.templateId === t).length >= 10, `${t} is used`);
  });

  it("takes a DataFrame as well as records", () => {
    const df = reviewFrame(records.slice(0, 2) as never);
    assert.deepEqual(
      buildInstructionDataset(df, { templates: ["sentiment-liked-yes-no"] }).map((e) => e.completion),
      [" yes", " no"],
    );
  });

  it("stops at a record a template cannot render, or skips it when asked and reports it", () => {
    assert.throws(
      () => buildInstructionDataset(records, { templates: ["sentiment-classify"] }),
      /Template "sentiment-classify" on record r:3: its label "neutral" is not one of the answer choices \(negative, positive\)/,
    );
    const skipped: TemplateRenderError[] = [];
    const ex = buildInstructionDataset(records, {
      templates: ["sentiment-classify"],
      skipUnrenderable: true,
      onSkip: (e) => skipped.push(e),
    });
    assert.deepEqual(
      ex.map((e) => e.sourceId),
      ["r:1", "r:2"],
    );
    assert.deepEqual(
      skipped.map((e) => [e.templateId, e.sourceId, e.field]),
      [["sentiment-classify", "r:3", "label"]],
    );
  });

  it("refuses records without a sourceId or label, duplicate sourceIds, and unknown options or templates", () => {
    assert.throws(
      () => buildInstructionDataset([{ text: "x", label: "positive" }], { templates: ["sentiment-classify"] }),
      /^Error: buildInstructionDataset: record 1 has no sourceId \(its fields: text, label\)\./,
    );
    assert.throws(
      () => buildInstructionDataset([{ sourceId: "a", text: "x" }], { templates: ["sentiment-classify"] }),
      /record 1 has no label/,
    );
    assert.throws(
      () => buildInstructionDataset([records[0], records[0]], { templates: ["sentiment-classify"] }),
      /the sourceId "r:1" appears twice \(record 2\)/,
    );
    assert.throws(
      () => buildInstructionDataset(records, { templates: ["sentiment-classify"], shuffle: true } as never),
      /unknown option "shuffle"/,
    );
    assert.throws(() => buildInstructionDataset(records, { templates: [] }), /give at least one template/);
    assert.throws(() => buildInstructionDataset(records, { templates: ["nope"] }), /No template "nope"/);
    assert.throws(
      () => buildInstructionDataset(records, { templates: ["sentiment-classify"], mode: "each" as never }),
      /mode must be "one-per-record" or "all-per-record"/,
    );
  });

  it("previews several templates on one record as table rows", () => {
    assert.deepEqual(
      previewTemplates(records[1], ["sentiment-classify", "sentiment-liked-yes-no", "review-write-sentiment"]),
      [
        {
          template: "sentiment-classify",
          prompt: "Classify this review: Battery died in a day.\nSentiment:",
          completion: " negative",
        },
        {
          template: "sentiment-liked-yes-no",
          prompt: "Review: Battery died in a day.\nDid the reviewer like it, yes or no?\nAnswer:",
          completion: " no",
        },
        {
          template: "review-write-sentiment",
          prompt: "Write a negative review.",
          completion: " Battery died in a day.",
        },
      ],
    );
  });
});

describe("exportJsonl", () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "workbook-jsonl-"));
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const ex: InstructionExample[] = [
    {
      prompt: 'Classify this review: "Great"\nSentiment:',
      completion: " positive",
      label: "positive",
      templateId: "sentiment-classify",
      sourceId: "r:1",
      task: "sentiment-classification",
    },
    {
      prompt: "Write a negative review.",
      completion: " Died. ☹",
      label: "negative",
      templateId: "review-write-sentiment",
      sourceId: "r:2",
      task: "review-generation",
    },
  ];

  it("writes one {prompt, completion} object per line, into a new folder, leaving no temporary file", () => {
    const file = path.join(dir, "out", "train.jsonl");
    const result = exportJsonl(ex, file);
    const text = fs.readFileSync(file, "utf8");
    assert.equal(
      text,
      '{"prompt":"Classify this review: \\"Great\\"\\nSentiment:","completion":" positive"}\n' +
        '{"prompt":"Write a negative review.","completion":" Died. ☹"}\n',
    );
    assert.deepEqual(result, { file, records: 2, bytes: Buffer.byteLength(text) });
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ["train.jsonl"]);
    assert.deepEqual(
      text
        .trimEnd()
        .split("\n")
        .map((l) => JSON.parse(l)),
      ex.map((e) => ({ prompt: e.prompt, completion: e.completion })),
    );
  });

  it("refuses to replace an existing file unless asked, and can write every field", () => {
    const file = path.join(dir, "keep.jsonl");
    fs.writeFileSync(file, "mine\n");
    assert.throws(
      () => exportJsonl(ex, file),
      new RegExp(
        `^Error: exportJsonl: ${file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} already exists and was left as it is\\. Choose another name, or pass \\{ overwrite: true \\} to replace it\\.$`,
      ),
    );
    assert.equal(fs.readFileSync(file, "utf8"), "mine\n");
    exportJsonl(ex.slice(0, 1), file, { overwrite: true, fields: "all" });
    assert.deepEqual(JSON.parse(fs.readFileSync(file, "utf8")), ex[0]);
  });
});
