// Where the lesson's fine-tuning runs live, and how one notebook finds the run another one made.
//
//   runFolder(hp, base.fingerprint)          // runs/finetune-<hash of the hyperparameters and the base model>
//   recordRun("notebook-03", hp, folder)     // runs/notebook-03.json: this notebook's run
//   hyperparametersOfRun("notebook-03")      // notebook 4 reads it back: { hp, which, recorded }
//
// Changing any hyperparameter but fewShot makes a new run; running a notebook again with the same
// ones reuses the finished model (WORKBOOK_RUNS_DIR moves runs/ elsewhere).
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { projectPath } from "../runtime/paths";
import { writeFileAtomic } from "../util/atomic-write";
import { DEFAULT_LESSON_HYPERPARAMETERS, lessonHyperparameters, type LessonHyperparameters } from "./hyperparameters";

/** What a saved run holds; runs of an older format are not reused (2: the step-0 evaluation and graded tokens; 3: validation loss weighted as the training loss). */
const RUN_FORMAT = 3;

/**
 * Where a fine-tuning run with these hyperparameters is saved: runs/finetune-<hash of all but
 * fewShot, and of the base model> (WORKBOOK_RUNS_DIR moves runs/).
 */
export function runFolder(
  hp: LessonHyperparameters,
  baseFingerprint: string,
  root = process.env.WORKBOOK_RUNS_DIR ?? projectPath("runs"),
): string {
  // fewShot only shapes the base model's prompts in the comparison, not the fine-tuned model. A
  // new base model (another pre-training) must not reuse runs fine-tuned from the old one.
  const hash = crypto
    .createHash("sha256")
    .update(JSON.stringify({ ...hp, fewShot: undefined, base: baseFingerprint, format: RUN_FORMAT }))
    // A data file of the same name with other reviews is other data.
    .update(hp.dataFile ? fs.readFileSync(hp.dataFile) : "")
    .digest("hex")
    .slice(0, 10);
  return path.join(root, `finetune-${hash}`);
}

/** Where a named run is remembered: runs/<name>.json. */
function recordFile(name: string, root = process.env.WORKBOOK_RUNS_DIR ?? projectPath("runs")): string {
  if (!/^[\w-]+$/.test(name))
    throw new Error(`recordAs: "${name}" is not a plain name; use letters, digits, - and _ (e.g. "notebook-03").`);
  return path.join(root, `${name}.json`);
}

/** Remembers that the run in `folder` was made with these hyperparameters, under a name another notebook reads back (hyperparametersOfRun). */
export function recordRun(name: string, hp: LessonHyperparameters, folder: string, root?: string): void {
  const file = recordFile(name, root);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomic(
    file,
    `${JSON.stringify({ folder: path.relative(path.dirname(file), folder), hyperparameters: hp }, null, 1)}\n`,
  );
}

/**
 * The hyperparameters of the run a notebook recorded (ensureFinetuned's recordAs), with `overrides`
 * on top, and a sentence saying which run that is. With no recorded run, the lesson's defaults
 * (which notebook 3 ships with), and the sentence says so: the caller then trains that run.
 */
export function hyperparametersOfRun(
  name: string,
  overrides: Partial<LessonHyperparameters> & Record<string, unknown> = {},
  root?: string,
): { hp: LessonHyperparameters; which: string; recorded: boolean } {
  const file = recordFile(name, root);
  if (!fs.existsSync(file)) {
    const hp = lessonHyperparameters(overrides);
    return {
      hp,
      recorded: false,
      which:
        `No run recorded as "${name}" here yet (${path.relative(projectPath(), file)} is missing), so this notebook uses the lesson's ` +
        "default hyperparameters, the ones notebook 3 ships with, and trains that run first if it is not saved.",
    };
  }
  const saved = JSON.parse(fs.readFileSync(file, "utf8")) as { folder: string; hyperparameters: LessonHyperparameters };
  let hp: LessonHyperparameters;
  try {
    hp = lessonHyperparameters({ ...saved.hyperparameters, ...overrides });
  } catch (err) {
    throw new Error(
      `The run recorded as "${name}" (${file}) cannot be read back: ${(err as Error).message} ` +
        "If it uses a template defined in a notebook, define that template in this notebook first; or run notebook 3 again.",
      { cause: err },
    );
  }
  const changed = Object.entries(hp).filter(
    ([key, value]) =>
      JSON.stringify(value) !== JSON.stringify((DEFAULT_LESSON_HYPERPARAMETERS as Record<string, unknown>)[key]),
  );
  return {
    hp,
    recorded: true,
    which:
      `The run "${name}" recorded: ${saved.folder}, with ` +
      (changed.length === 0
        ? "the lesson's default hyperparameters."
        : `the lesson's defaults except ${changed.map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join(", ")}.`),
  };
}
