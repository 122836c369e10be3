// The set-up leaves a working, self-contained environment, and running it again is quick and harmless.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../src/index";
import { VENV_PYTHON } from "../src/runtime/paths";
import { KERNEL_NAME, ROOT } from "./support/notebooks";
import { requireReference } from "./support/reference";

describe("setup", () => {
  it("runs again in seconds, changing nothing", function () {
    this.timeout(120000);
    const t0 = Date.now();
    const r = spawnSync(process.execPath, [path.join(ROOT, "kernel", "setup.mjs")], { cwd: ROOT, encoding: "utf8" });
    const seconds = (Date.now() - t0) / 1000;
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /npm packages: up to date/);
    assert.match(r.stdout, /Python environment \(\.venv\): up to date/);
    assert.match(r.stdout, new RegExp(`kernelspec ${KERNEL_NAME}: up to date`));
    assert.ok(seconds < 15, `second setup took ${seconds} s`);
  });

  it("registers the kernel inside .venv only, starting the workbook's wrapper", () => {
    const r = spawnSync(VENV_PYTHON, ["-m", "jupyter", "kernelspec", "list", "--json"], {
      cwd: ROOT,
      encoding: "utf8",
    });
    assert.equal(r.status, 0, r.stderr);
    const specs = JSON.parse(r.stdout).kernelspecs as Record<
      string,
      { resource_dir: string; spec: { argv: string[]; display_name: string } }
    >;
    const ours = specs[KERNEL_NAME];
    assert.ok(ours, `kernelspec ${KERNEL_NAME} missing: ${Object.keys(specs)}`);
    assert.ok(ours.resource_dir.startsWith(path.join(ROOT, ".venv")), ours.resource_dir);
    assert.equal(ours.spec.argv[1], path.join(ROOT, "kernel", "tslab-kernel.cjs"));
    assert.equal(ours.spec.display_name, "TypeScript (instruction workbook)");
  });

  it("pins every package of the Jupyter environment", () => {
    const r = spawnSync(VENV_PYTHON, ["-m", "pip", "freeze"], { cwd: ROOT, encoding: "utf8" });
    const installed = r.stdout
      .trim()
      .split("\n")
      .filter((l) => l.includes("=="));
    const pinned = new Set(
      fs
        .readFileSync(path.join(ROOT, "kernel", "constraints.txt"), "utf8")
        .split("\n")
        .filter((l) => l.includes("==")),
    );
    const unpinned = installed.filter((l) => !pinned.has(l));
    assert.deepEqual(unpinned, [], "installed but not in kernel/constraints.txt");
  });

  it("holds one tfjs in the process: danfojs-node computes on the workbook's backend", async () => {
    await initBackend({ quiet: true });
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the very module the workbook loads on demand
    const dfd = require("danfojs-node");
    assert.equal(dfd.tensorflow.engine(), tf.engine(), "danfojs-node loaded a second tfjs");
    const df = new dfd.DataFrame({ stars: [1, 5, 4], text: ["bad", "great", "good"] });
    assert.deepEqual(df.shape, [3, 2]);
    assert.equal(df["stars"].mean(), 10 / 3);
    const shim = fs.realpathSync(
      path.join(ROOT, "node_modules", "danfojs-node", "node_modules", "@tensorflow", "tfjs-node"),
    );
    assert.equal(shim, path.join(ROOT, "kernel", "tfjs-node-shim"));
  });

  it("imports danfojs-node without the native addon when the workbook falls back to wasm", () => {
    const code = `
      const wb = require("./src/index");
      wb.initBackend({ quiet: true }).then(() => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- the very module the workbook loads on demand
    const dfd = require("danfojs-node");
        const df = new dfd.DataFrame({ a: [1, 2, 3] });
        const addon = Object.keys(require.cache).some((k) => k.endsWith("tfjs_binding.node"));
        console.log(JSON.stringify({ backend: require("@tensorflow/tfjs").getBackend(), sum: df["a"].sum(), addon }));
      });`;
    const r = spawnSync(process.execPath, ["--import", "tsx", "-e", code], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, WORKBOOK_NO_NATIVE: "1" },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout.trim().split("\n").pop()!), { backend: "wasm", sum: 6, addon: false });
  });

  it("fails a reference check whose module is missing, saying how to fix it, and skips it only under WORKBOOK_NO_REFERENCE=1", function () {
    const context = {
      skip: () => {
        throw new Error("skipped");
      },
    } as unknown as Mocha.Context;
    assert.doesNotThrow(() => requireReference(context, ["json"]));
    const saved = process.env.WORKBOOK_NO_REFERENCE;
    try {
      delete process.env.WORKBOOK_NO_REFERENCE;
      assert.throws(
        () => requireReference(context, ["no_such_module_here"]),
        /lacks no_such_module_here: run `node kernel\/setup.mjs --reference`/,
      );
      process.env.WORKBOOK_NO_REFERENCE = "1";
      assert.throws(() => requireReference(context, ["no_such_module_here"]), /^Error: skipped$/);
    } finally {
      if (saved === undefined) delete process.env.WORKBOOK_NO_REFERENCE;
      else process.env.WORKBOOK_NO_REFERENCE = saved;
    }
  });
});
