// "Bring your own Amazon reviews", end to end: a small star-rated TSV in the Amazon Customer Reviews
// (US) layout goes through `npm run finetune -- --data <file> --columns amazon-us-reviews ...` as a
// child process, and the comparison it writes holds every task group and method the README promises;
// a file without the review column and an unknown --columns preset stop with a clear message.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { SeededRandom } from "../../src/runtime/random";

const ROOT = path.resolve(__dirname, "..", "..");
const TSX = path.join(ROOT, "node_modules", ".bin", "tsx");
const HEADER = [
  "marketplace",
  "customer_id",
  "review_id",
  "product_id",
  "product_parent",
  "product_title",
  "product_category",
  "star_rating",
  "helpful_votes",
  "total_votes",
  "vine",
  "verified_purchase",
  "review_headline",
  "review_body",
  "review_date",
];

const PRODUCTS: readonly [string, string][] = [
  ["Stainless Steel Water Bottle", "Kitchen"],
  ["Wireless Earbuds", "Electronics"],
  ["Cast Iron Skillet", "Kitchen"],
  ["Phone Case", "Wireless"],
  ["Desk Lamp", "Home"],
  ["Running Shoes", "Shoes"],
  ["Backpack", "Luggage"],
  ["Coffee Grinder", "Kitchen"],
  ["USB Charger", "Electronics"],
  ["Yoga Mat", "Sports"],
];

/** Per star rating: headlines, first sentences ("{p}" is the product) and second sentences. */
const WORDS: Record<number, { headlines: string[]; first: string[]; second: string[] }> = {
  1: {
    headlines: ["Waste of money", "Broke in a week", "Do not buy", "Terrible quality", "Returned it"],
    first: [
      "The {p} stopped working after two days.",
      "This {p} arrived broken and the seller never answered.",
      "Cheap plastic, the {p} fell apart the first time I used it.",
      "The {p} is nothing like the pictures.",
    ],
    second: ["I want my money back.", "Avoid this one.", "Worst purchase I have made this year.", "Complete junk."],
  },
  2: {
    headlines: ["Disappointed", "Not worth it", "Poor fit", "Meh", "Expected more"],
    first: [
      "The {p} works but feels flimsy.",
      "I had problems with the {p} from the start.",
      "The {p} is smaller than described and a bit loose.",
      "It does the job, but the {p} scratches easily.",
    ],
    second: [
      "I would not buy it again.",
      "Probably going back.",
      "Not great for the price.",
      "Customer service was slow.",
    ],
  },
  3: {
    headlines: ["It's okay", "Average", "Does the job", "Fine for the price", "Nothing special"],
    first: [
      "The {p} is okay, nothing more.",
      "An average {p} that works as expected.",
      "The {p} does what it says, no more and no less.",
      "Decent {p}, though the finish could be better.",
    ],
    second: [
      "It is fine for the price.",
      "Hard to say more yet.",
      "Some good points and some bad ones.",
      "Neither great nor bad.",
    ],
  },
  4: {
    headlines: ["Good value", "Works well", "Pretty good", "Happy with it", "Solid product"],
    first: [
      "The {p} works well and feels sturdy.",
      "Good {p} for the money, I use it every day.",
      "The {p} was easy to set up and does its job.",
      "Nice {p}, only a small scratch on the side.",
    ],
    second: ["I would recommend it.", "Happy with the purchase.", "A good buy overall.", "It arrived on time."],
  },
  5: {
    headlines: ["Love it", "Excellent", "Five stars", "Best purchase ever", "Perfect"],
    first: [
      "The {p} is excellent, exactly what I wanted.",
      "I love this {p}, it works perfectly.",
      "Best {p} I have ever owned.",
      "The {p} is beautiful and very well made.",
    ],
    second: [
      "Highly recommended!",
      "I bought a second one for my sister.",
      "Worth every penny.",
      "Great quality and fast shipping.",
    ],
  },
};

/** Second sentences any rating may have: the ratings are not told apart by every word. */
const SHARED = ["It arrived on time.", "Shipping took a while.", "I bought it as a gift.", "The box was damaged."];

/** A star-rated TSV in the amazon-us-reviews layout: `count` reviews, the five ratings equally often, seeded. */
function starRatedTsv(count: number, seed: number | string, columns: readonly string[] = HEADER): string {
  const rng = new SeededRandom(seed);
  const pick = <T>(list: readonly T[]) => list[rng.int(list.length)];
  const ratings = rng.shuffle(Array.from({ length: count }, (_, i) => (i % 5) + 1));
  const lines = [columns.join("\t")];
  ratings.forEach((stars, i) => {
    const [product, category] = pick(PRODUCTS);
    const words = WORDS[stars];
    const first = pick(words.first).replace("{p}", product.toLowerCase());
    // One or two sentences; a second one is sometimes on its own line (<br /> in the file).
    const body =
      rng.next() < 0.3
        ? first
        : `${first}${rng.next() < 0.3 ? "<br />" : " "}${pick(rng.next() < 0.3 ? SHARED : words.second)}`;
    const row: Record<string, string> = {
      marketplace: "US",
      customer_id: String(10_000_000 + rng.int(89_999_999)),
      review_id: `R${(1000 + i).toString(36).toUpperCase()}TEST${i}`,
      product_id: `B0${(PRODUCTS.findIndex((p) => p[0] === product) + 10).toString().padStart(8, "0")}`,
      product_parent: String(100_000 + PRODUCTS.findIndex((p) => p[0] === product)),
      product_title: product,
      product_category: category,
      star_rating: String(stars),
      helpful_votes: String(rng.int(5)),
      total_votes: String(rng.int(10)),
      vine: "N",
      verified_purchase: rng.next() < 0.8 ? "Y" : "N",
      review_headline: pick(words.headlines),
      review_body: body,
      review_date: `2015-0${1 + rng.int(8)}-${String(1 + rng.int(28)).padStart(2, "0")}`,
    };
    lines.push(columns.map((c) => row[c]).join("\t"));
  });
  return `${lines.join("\n")}\n`;
}

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** Runs `npm run finetune -- <args>` as npm runs it (TensorFlow's log filter, then tsx), runs kept in `runsDir`. */
function runFinetune(args: readonly string[], runsDir: string, timeoutMs: number): Promise<CliRun> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [path.join(ROOT, "kernel", "tensorflow-log.cjs"), TSX, path.join("src", "cli", "finetune.ts"), ...args],
      {
        cwd: ROOT,
        env: { ...process.env, WORKBOOK_RUNS_DIR: runsDir, FORCE_COLOR: "0", NO_COLOR: "1" },
        stdio: ["ignore", "pipe", "pipe"],
        timeout: timeoutMs,
        killSignal: "SIGTERM",
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr, seconds: (performance.now() - t0) / 1000 }));
  });
}

const output = (r: CliRun) =>
  `exit code ${r.code} after ${r.seconds.toFixed(0)} s\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

/** A stack trace's frames ("    at fn (file:line:col)"). */
const STACK_FRAME = /^\s+at .+[(:]/m;

const STAR_ARGS = [
  "--columns",
  "amazon-us-reviews",
  "--templates",
  "rating-predict,review-write-stars,headline-describe",
  "--held-out",
  "rating-how-many-stars",
  "--seeds",
  "0",
];

interface ResultJson {
  group: string;
  task: string;
  method: string;
  metric: string;
  scoring: string;
  n: number;
  score: number;
  ci95: [number, number];
  invalid: number;
  meanAbsoluteError?: number;
}

describe("npm run finetune on your own Amazon reviews (star-rated TSV)", () => {
  let dir: string;
  let runsDir: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "workbook-star-rated-"));
    runsDir = path.join(dir, "runs");
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("writes a plausible, evenly rated TSV in the amazon-us-reviews layout", () => {
    const text = starRatedTsv(120, "star-rated");
    assert.equal(text, starRatedTsv(120, "star-rated"), "deterministic");
    const [header, ...rows] = text.trimEnd().split("\n");
    assert.deepEqual(header.split("\t"), HEADER);
    assert.equal(rows.length, 120);
    const byStars = new Map<string, number>();
    for (const row of rows) {
      const cells = row.split("\t");
      assert.equal(cells.length, HEADER.length, row);
      assert.ok(cells[12].length > 0 && cells[13].length > 0, "a headline and a body");
      byStars.set(cells[7], (byStars.get(cells[7]) ?? 0) + 1);
    }
    assert.deepEqual([...byStars].sort(), [
      ["1", 24],
      ["2", 24],
      ["3", 24],
      ["4", 24],
      ["5", 24],
    ]);
    assert.ok(
      rows.some((r) => r.includes("<br />")),
      "some bodies have a line break",
    );
  });

  it("fine-tunes on it and compares the base model, the instruct model and bag of words task by task", async function () {
    this.timeout(20 * 60 * 1000);
    const file = path.join(dir, "amazon_reviews_us_Mixed_v1_00.tsv");
    fs.writeFileSync(file, starRatedTsv(120, "star-rated"));
    const out = path.join(dir, "comparison");
    const r = await runFinetune(
      ["--data", file, ...STAR_ARGS, "--epochs", "1", "--batch-size", "16", "--max-length", "96", "--out", out],
      runsDir,
      19 * 60 * 1000,
    );
    console.log(`      (finetune took ${r.seconds.toFixed(0)} s)`);
    assert.equal(r.code, 0, output(r));

    // The run was saved under WORKBOOK_RUNS_DIR, not the learner's runs/.
    const runs = fs.readdirSync(runsDir).filter((f) => f.startsWith("finetune-"));
    assert.equal(runs.length, 1, `runs: ${runs.join(", ")}`);
    assert.ok(fs.existsSync(path.join(runsDir, runs[0], "best", "model.safetensors")));

    const saved = JSON.parse(fs.readFileSync(path.join(out, "comparison.json"), "utf8"));
    assert.ok(fs.existsSync(path.join(out, "comparison.md")));
    assert.equal(saved.hyperparameters.dataFile, file);
    assert.equal(saved.hyperparameters.dataColumns, "amazon-us-reviews");
    assert.deepEqual(saved.hyperparameters.templates, ["rating-predict", "review-write-stars", "headline-describe"]);
    assert.deepEqual(saved.hyperparameters.heldOutTemplates, ["rating-how-many-stars"]);
    assert.equal(saved.hyperparameters.epochs, 1);
    assert.equal(saved.seeds.length, 1);
    const seed = saved.seeds[0];
    assert.equal(seed.seed, 0);
    const results: ResultJson[] = seed.results;

    // The task groups: star rating split by trained and unseen phrasing, review writing, headlines.
    const groups = [...new Set(results.map((x) => x.group))].sort();
    assert.deepEqual(groups, [
      "headline-generation",
      "rating-prediction (trained phrasings)",
      "rating-prediction (unseen phrasing)",
      "review-generation",
    ]);
    const written = (group: string, method: string) =>
      results.find((x) => x.group === group && x.method === method && x.scoring === "generation");
    const methods = ["base zero-shot", `base ${seed.fewShot}-shot`, "instruct model"];
    assert.equal(seed.fewShot, 3);
    for (const group of groups) {
      for (const method of methods) assert.ok(written(group, method), `${method} on ${group}`);
    }

    // Star rating: accuracy of the written answers, its interval, the mean absolute error of the valid ones.
    for (const group of ["rating-prediction (trained phrasings)", "rating-prediction (unseen phrasing)"]) {
      for (const method of [...methods, "bag of words"]) {
        const row = written(group, method);
        assert.ok(row, `${method} on ${group}`);
        assert.equal(row.metric, "accuracy");
        assert.ok(row.n > 0);
        assert.ok(row.score >= 0 && row.score <= 1, `${method} on ${group}: ${row.score}`);
        assert.ok(row.ci95[0] <= row.score && row.score <= row.ci95[1], `${method} on ${group}: interval`);
        assert.ok(row.invalid >= 0 && row.invalid <= row.n);
        if (method === "bag of words") continue;
        if (row.invalid < row.n) {
          assert.equal(typeof row.meanAbsoluteError, "number", `${method} on ${group} has valid answers and no MAE`);
          assert.ok(row.meanAbsoluteError! >= 0 && row.meanAbsoluteError! <= 4, `MAE ${row.meanAbsoluteError}`);
        } else {
          assert.equal(row.meanAbsoluteError, undefined, `${method} on ${group}: no valid answer, no MAE`);
        }
      }
      // Every answer choice is valid when scored by likelihood, so its MAE is always there.
      const likely = results.find(
        (x) => x.group === group && x.method === "instruct model" && x.scoring === "likelihood",
      );
      assert.ok(likely, `instruct model (more likely answer) on ${group}`);
      assert.equal(likely.invalid, 0);
      assert.equal(typeof likely.meanAbsoluteError, "number");
    }
    // The bag of words reads the review, not the instruction: one score for both phrasings.
    assert.equal(
      written("rating-prediction (trained phrasings)", "bag of words")!.score,
      written("rating-prediction (unseen phrasing)", "bag of words")!.score,
    );

    // Headlines: mean ROUGE-L F1 in [0, 1]; reviews: the judge's agreement; no bag of words for either.
    for (const method of methods) {
      const headline = written("headline-generation", method)!;
      assert.equal(headline.metric, "rouge-l");
      assert.ok(headline.score >= 0 && headline.score <= 1, `${method}: ROUGE-L ${headline.score}`);
      assert.ok(headline.ci95[0] >= 0 && headline.ci95[1] <= 1, `${method}: ROUGE-L interval ${headline.ci95}`);
      const review = written("review-generation", method)!;
      assert.equal(review.metric, "judge");
      assert.ok(review.score >= 0 && review.score <= 1);
    }
    assert.equal(written("headline-generation", "bag of words"), undefined);
    assert.equal(written("review-generation", "bag of words"), undefined);

    // The judge's own accuracy, on the test split's real (non-neutral) reviews.
    assert.ok(seed.judge.accuracy >= 0 && seed.judge.accuracy <= 1, `judge accuracy ${seed.judge.accuracy}`);
    assert.ok(seed.judge.n > 0 && seed.judge.n <= 24, `judge n ${seed.judge.n}`);
    assert.match(seed.judge.trainedOn, /sentences/);

    // Forgetting: bits per character of both models on held-out pre-training text.
    assert.ok(seed.forgetting.documents > 0);
    for (const model of ["base", "instruct"]) {
      const bpc = seed.forgetting[model];
      assert.ok(Number.isFinite(bpc) && bpc > 0 && bpc < 10, `${model} bits per character ${bpc}`);
    }

    // The summary has one row per group and method (written and more-likely answers).
    const summaryTasks = new Set(saved.summary.map((row: { task: string }) => row.task));
    assert.deepEqual([...summaryTasks].sort(), groups);

    // The printed 5 x 5 confusion matrix of the star rating: rows expected 1..5, columns → 1..→ 5, invalid, total.
    const heading = "[finetune] rating-prediction, instruct model: expected stars (rows) against its answers (columns)";
    const at = r.stdout.indexOf(heading);
    assert.ok(at >= 0, `no confusion matrix heading in:\n${r.stdout}`);
    const tableLines = r.stdout
      .slice(at + heading.length)
      .split("\n")
      .filter((l) => l.startsWith("│"));
    const cellsOf = (line: string) =>
      line
        .split("│")
        .slice(1, -1)
        .map((c) => c.trim().replace(/^'(.*)'$/, "$1"));
    const head = cellsOf(tableLines[0]);
    assert.deepEqual(head, ["(index)", "expected", "→ 1", "→ 2", "→ 3", "→ 4", "→ 5", "invalid", "total"]);
    const body = tableLines.slice(1, 6).map(cellsOf);
    assert.deepEqual(
      body.map((cells) => cells[1]),
      ["1", "2", "3", "4", "5"],
    );
    // Its counts: every test answer of the rating task, both phrasings, in one cell of its row.
    const rated = results.filter(
      (x) => x.task === "rating-prediction" && x.method === "instruct model" && x.scoring === "generation",
    );
    const total = body.reduce((s, cells) => s + Number(cells[8]), 0);
    assert.equal(
      total,
      rated.reduce((s, x) => s + x.n, 0),
    );
    for (const cells of body)
      assert.equal(
        cells.slice(2, 8).reduce((s, c) => s + Number(c), 0),
        Number(cells[8]),
        `row ${cells[1]}`,
      );
    const correct = body.reduce((s, cells, i) => s + Number(cells[2 + i]), 0);
    assert.equal(correct, Math.round(rated.reduce((s, x) => s + x.score * x.n, 0)));
  });

  it("a file without the review_body column stops with a message naming it, no stack trace", async function () {
    this.timeout(5 * 60 * 1000);
    const file = path.join(dir, "no_body.tsv");
    fs.writeFileSync(
      file,
      starRatedTsv(
        20,
        "no-body",
        HEADER.filter((c) => c !== "review_body"),
      ),
    );
    const r = await runFinetune(["--data", file, ...STAR_ARGS, "--epochs", "1"], runsDir, 4 * 60 * 1000);
    assert.equal(r.code, 1, output(r));
    assert.match(
      r.stderr,
      /no_body\.tsv, line 1, column "review_body": the header has no such column \(mapped to text\)/,
    );
    assert.match(r.stderr, /The file's columns are: marketplace, .*review_headline, review_date\./);
    assert.doesNotMatch(r.stderr, STACK_FRAME, output(r));
    assert.doesNotMatch(r.stdout, STACK_FRAME, output(r));
  });

  it("an unknown --columns preset stops with a message naming the presets, no stack trace", async function () {
    this.timeout(5 * 60 * 1000);
    const file = path.join(dir, "reviews.tsv");
    fs.writeFileSync(file, starRatedTsv(20, "preset"));
    const args = ["--data", file, ...STAR_ARGS, "--epochs", "1"];
    args[args.indexOf("amazon-us-reviews")] = "amazon-uk-reviews";
    const r = await runFinetune(args, runsDir, 4 * 60 * 1000);
    assert.equal(r.code, 1, output(r));
    assert.match(
      r.stderr,
      /unknown preset "amazon-uk-reviews"; the presets are amazon-us-reviews, amazon-reviews-2023/,
    );
    assert.doesNotMatch(r.stderr, STACK_FRAME, output(r));
    assert.doesNotMatch(r.stdout, STACK_FRAME, output(r));
  });
});
