import assert from "node:assert/strict";
import {
  LiveCurves,
  barChart,
  lineChart,
  showFigure,
  showTable,
  staticImageStatus,
  type DisplayBundle,
} from "../../src/index";
import { closePngRenderer } from "../../src/notebook/png";
import { figureBundle, liveDisplay, PLOTLY_MIME, setDisplaySink, tableBundle } from "../../src/notebook/display";
import { figureToText } from "../../src/notebook/figure";

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

describe("notebook displays", () => {
  const sent: { bundle: DisplayBundle; id?: string; update?: boolean }[] = [];
  beforeEach(() => {
    sent.length = 0;
    setDisplaySink((bundle, id, update) => sent.push({ bundle, id, update }));
  });
  afterEach(() => setDisplaySink(undefined));
  after(async () => {
    await closePngRenderer();
  });

  const fig = lineChart("Loss", [{ name: "train", x: [1, 2, 3], y: [2.5, 1.25, 0.625] }], { x: "step", y: "loss" });

  it("sends a figure as one output with plotly JSON, a real PNG and text", async () => {
    await showFigure(fig, { width: 400, height: 300 });
    assert.equal(sent.length, 1);
    const data = sent[0].bundle.data;
    assert.deepEqual(Object.keys(data).sort(), ["application/vnd.plotly.v1+json", "image/png", "text/plain"].sort());
    const plotly = data[PLOTLY_MIME] as { data: { y: number[] }[]; layout: { width: number } };
    assert.deepEqual(plotly.data[0].y, [2.5, 1.25, 0.625]);
    assert.equal(plotly.layout.width, 400);
    const png = Buffer.from(data["image/png"] as string, "base64");
    assert.ok(png.subarray(0, 8).equals(PNG_SIGNATURE), "not a PNG");
    assert.equal(png.readUInt32BE(16), 400, "PNG width");
    assert.equal(png.readUInt32BE(20), 300, "PNG height");
    assert.match(
      data["text/plain"] as string,
      /Loss \(1 trace\)\n {2}train \(scatter\)\n {4}x: \[1, 2, 3\]\n {4}y: \[2.5, 1.25, 0.625\]/,
    );
  });

  it("leaves the PNG out when asked, and says why when it cannot draw one", async () => {
    const noPng = await figureBundle(fig, { png: false });
    assert.equal(noPng.data["image/png"], undefined);
    const saved = process.env.WORKBOOK_CHROMIUM;
    process.env.WORKBOOK_CHROMIUM = "none";
    try {
      await closePngRenderer();
      const bundle = await figureBundle(fig);
      assert.equal(bundle.data["image/png"], undefined);
      assert.match(
        bundle.data["text/plain"] as string,
        /no static image: no Chromium here; notebook 00 says how to get one/,
      );
      // Said once, plainly, with the way to get them.
      const status = staticImageStatus();
      assert.equal(status.available, false);
      assert.match(status.sentence, /off \(WORKBOOK_CHROMIUM=none\)/);
      process.env.WORKBOOK_CHROMIUM = "/nonexistent/chromium";
      assert.match(staticImageStatus().sentence, /no Chromium here.*npm run setup -- --browser/);
    } finally {
      if (saved === undefined) delete process.env.WORKBOOK_CHROMIUM;
      else process.env.WORKBOOK_CHROMIUM = saved;
    }
  });

  it("draws the PNG of a figure shown after a cell computed for longer than the browser's idle time", async () => {
    // The idle close is due while the event loop is blocked; it must not close the browser under
    // the next render (notebook 4 computes its comparison for about a minute and a half, then draws).
    process.env.WORKBOOK_PNG_IDLE_MS = "100";
    try {
      await figureBundle(fig); // starts the browser and the idle timer
      const end = Date.now() + 400;
      while (Date.now() < end); // a long synchronous computation
      const bundle = await figureBundle(fig);
      assert.ok(typeof bundle.data["image/png"] === "string", String(bundle.data["text/plain"]));
    } finally {
      delete process.env.WORKBOOK_PNG_IDLE_MS;
    }
  });

  it("renders a table as HTML with an aligned text twin, escaping HTML", () => {
    const b = tableBundle(
      [
        { name: "a<b", score: 0.123456 },
        { name: "c", score: 2 },
      ],
      { title: "Scores" },
    );
    assert.equal(b.data["text/plain"], "Scores\nname  score\n----  ------\na<b   0.1235\nc     2");
    assert.match(
      b.data["text/html"] as string,
      /<tbody style="white-space: pre-wrap; text-align: left"><tr><td>a&lt;b<\/td><td>0.1235<\/td>/,
    );
    const multi = tableBundle([{ prompt: "line one\nline two", n: 1 }]);
    assert.equal(multi.data["text/plain"], "prompt              n\n------------------  -\nline one\\nline two  1");
    assert.match(multi.data["text/html"] as string, />line one\nline two</);
    showTable([{ x: 1 }]);
    assert.equal(sent.length, 1);
  });

  it("updates a live display in place under one display id", async () => {
    const live = liveDisplay();
    live.text("step 1");
    live.text("step 2");
    await live.figure(
      barChart("acc", [{ name: "model", x: ["base", "tuned"], y: [0.5, 0.9] }], { x: "", y: "accuracy" }),
    );
    assert.equal(sent.length, 3);
    assert.ok(sent.every((s) => s.id === sent[0].id && s.id));
    assert.deepEqual(
      sent.map((s) => s.update),
      [false, true, true],
    );
    assert.equal(sent[2].bundle.data["image/png"], undefined, "live figures skip the slow PNG");
    assert.ok(sent[2].bundle.data[PLOTLY_MIME]);
    assert.notEqual(liveDisplay()["id" as never], sent[0].id);
  });

  it("puts another MIME type between two figures, so JupyterLab redraws the chart instead of keeping the first", async () => {
    const live = liveDisplay();
    const fig = (n: number) =>
      lineChart(
        "Loss",
        [{ name: "train", x: Array.from({ length: n }, (_, i) => i), y: Array.from({ length: n }, () => 1) }],
        { x: "step", y: "loss" },
      );
    await live.figure(fig(1));
    await live.figure(fig(2));
    live.text("done");
    await live.figure(fig(3));
    const mimes = sent.map((s) =>
      Object.keys(s.bundle.data)
        .filter((m) => m !== "text/plain")
        .join(","),
    );
    assert.deepEqual(mimes, [PLOTLY_MIME, "text/html", PLOTLY_MIME, "", PLOTLY_MIME]);
    // The blank in between has the chart's height, so the page does not jump.
    assert.match(sent[1].bundle.data["text/html"] as string, /^<div style="height: 420px"><\/div>$/);
    const points = sent
      .filter((s) => PLOTLY_MIME in s.bundle.data)
      .map((s) => (s.bundle.data[PLOTLY_MIME] as { data: { x: number[] }[] }).data[0].x.length);
    assert.deepEqual(points, [1, 2, 3]);
  });

  it("describes a figure in text, truncating long series", () => {
    const long = lineChart(
      "Long",
      [{ name: "s", x: Array.from({ length: 20 }, (_, i) => i), y: Array.from({ length: 20 }, () => 1 / 3) }],
      { x: "x", y: "y" },
    );
    assert.match(figureToText(long), /x: \[0, 1, 2, 3, 4, 5, 6, 7, \.\.\. \(20 values\)\]\n {4}y: \[0.3333,/);
  });

  it("grows live curves in place, throttled, and finishes with a PNG", async () => {
    const curves = new LiveCurves("Loss", { x: "step", y: "loss" }, 60_000);
    curves.add("train", 1, 5);
    curves.add("train", 2, 4);
    curves.add("validation", 2, 4.5);
    await curves.finish();
    assert.equal(sent.length, 3, "one throttled redraw, a blank, then the final one");
    assert.ok(sent.every((s) => s.id === sent[0].id));
    const final = sent[2].bundle.data;
    assert.ok(typeof final["image/png"] === "string");
    const fig = final[PLOTLY_MIME] as { data: { name: string; y: number[] }[] };
    assert.deepEqual(
      fig.data.map((d) => [d.name, d.y]),
      [
        ["train", [5, 4]],
        ["validation", [4.5]],
      ],
    );
  });

  it("keeps the declared order of live curves whichever gets its first point first", () => {
    const curves = new LiveCurves("Loss", { x: "step", y: "loss" }, 60_000).declare("train", "validation");
    curves.add("validation", 0, 6); // the step-0 evaluation comes before any training step
    curves.add("train", 1, 5);
    assert.deepEqual(
      curves.figure().data.map((d) => [d.name, d.y]),
      [
        ["train", [5]],
        ["validation", [6]],
      ],
    );
  });
});
