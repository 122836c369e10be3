// Typed configs, one way: frozen defaults, a rule per field, and a builder that fills the defaults,
// refuses unknown keys (suggesting the closest name) and names the field at fault in one error type.
// Command-line flags come from the same rules (Node's own parseArgs), so a CLI cannot drift from
// the config it sets.
//
//   const FINETUNE = defineConfig("FinetuneConfig", DEFAULTS, { epochs: { type: "integer", min: 1 }, ... });
//   FINETUNE.make({ epochs: 3 })          // a fresh, checked object; DEFAULTS stay untouched
//   FINETUNE.make({ epoch: 3 })           // ConfigError: unknown field "epoch" (did you mean "epochs"?)
//   FINETUNE.fromArgs(["--epochs", "3"])  // { epochs: 3 }, for the CLIs
import { parseArgs } from "node:util";

/** A bad config: which config, which field (if one), and a message that says how to fix it. */
export class ConfigError extends Error {
  constructor(
    readonly config: string,
    readonly field: string | undefined,
    message: string,
  ) {
    super(`${config}${field ? `.${field}` : ""}: ${message}`);
    this.name = "ConfigError";
  }
}

/** What one field accepts. min/max are inclusive, above/below exclusive. */
export type FieldRule = (
  | { type: "integer"; min?: number; max?: number }
  | { type: "number"; min?: number; max?: number; above?: number; below?: number }
  | { type: "boolean" }
  | { type: "string"; oneOf?: readonly string[] }
  /** A seed: a finite number or a string. */
  | { type: "seed" }
  | { type: "list"; of: "string" | "number"; oneOf?: readonly string[]; nonEmpty?: boolean }
  /** A nested value (an object); the config's own `check` looks inside it. */
  | { type: "object" }
) & {
  /** The command-line flag, without dashes (default: the field's name in kebab-case). */
  flag?: string;
  /** Advice added to a range error ("try 1e-4 to 1e-3"). */
  hint?: string;
};

export type FieldRules<T> = { [K in keyof T]-?: FieldRule };

export interface CliOptions<T> {
  extra?: Record<string, { type: "string" | "boolean" }>;
  omit?: readonly (keyof T)[];
}

export interface ConfigDefinition<T extends object> {
  readonly name: string;
  /** The defaults, deeply frozen: writing to them throws instead of changing every later run. */
  readonly defaults: Readonly<T>;
  readonly rules: Readonly<FieldRules<T>>;
  /** A fresh checked config: base (default: the defaults) with the overrides on top. */
  make(overrides?: Partial<T> & Record<string, unknown>, base?: T): T;
  /** Checks a whole config (as make does), returning it unchanged. */
  check(config: T): T;
  /**
   * Overrides from command-line arguments (--learning-rate 1e-3, --templates a,b); unknown flags
   * throw. `extra` declares the command's own flags (returned as they are), `omit` fields it sets itself.
   */
  fromArgs(
    argv: readonly string[],
    options?: CliOptions<T>,
  ): { overrides: Partial<T>; extra: Record<string, string | boolean | undefined> };
  /** The flags, for a usage line. */
  flags(omit?: readonly (keyof T)[]): string[];
}

/** Freezes an object and everything inside it. */
export function deepFreeze<T>(value: T): Readonly<T> {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/** A deep copy of plain data (numbers, strings, arrays, objects), so callers never share the defaults. */
function copy<T>(value: T): T {
  if (Array.isArray(value)) return value.map(copy) as T;
  if (value && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, copy(v)])) as T;
  return value;
}

/** Edit distance between two words (insertions, deletions, substitutions; case ignored). */
function editDistance(a: string, b: string): number {
  const x = a.toLowerCase(),
    y = b.toLowerCase();
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const row = [i];
    for (let j = 1; j <= y.length; j++)
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[y.length];
}

/** The candidate closest to a mistyped word, if it is close enough to be what was meant. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  // A shortened name ("valid" for "validation") is what was meant, whatever the distance.
  const prefixOf = candidates.find((c) => lower.length >= 3 && c.toLowerCase().startsWith(lower));
  if (prefixOf) return prefixOf;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.replace(/[-_]/g, ""), c.replace(/[-_]/g, ""));
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

function describe(v: unknown): string {
  return typeof v === "string" ? JSON.stringify(v) : Array.isArray(v) ? JSON.stringify(v) : String(v);
}

/** Checks one value against its rule; returns what is wrong, or undefined. */
function problem(rule: FieldRule, v: unknown): string | undefined {
  const hint = rule.hint ? ` (${rule.hint})` : "";
  switch (rule.type) {
    case "integer":
    case "number": {
      if (typeof v !== "number" || !Number.isFinite(v) || (rule.type === "integer" && !Number.isInteger(v))) {
        return `must be ${rule.type === "integer" ? "a whole number" : "a finite number"}, got ${describe(v)}`;
      }
      const r = rule as { min?: number; max?: number; above?: number; below?: number };
      const bounds = [
        r.min !== undefined && `>= ${r.min}`,
        r.above !== undefined && `> ${r.above}`,
        r.max !== undefined && `<= ${r.max}`,
        r.below !== undefined && `< ${r.below}`,
      ]
        .filter(Boolean)
        .join(" and ");
      const inRange =
        (r.min === undefined || v >= r.min) &&
        (r.above === undefined || v > r.above) &&
        (r.max === undefined || v <= r.max) &&
        (r.below === undefined || v < r.below);
      return inRange ? undefined : `must be ${bounds}, got ${v}${hint}`;
    }
    case "boolean":
      return typeof v === "boolean" ? undefined : `must be true or false, got ${describe(v)}`;
    case "string":
      if (typeof v !== "string") return `must be a string, got ${describe(v)}`;
      return !rule.oneOf || rule.oneOf.includes(v)
        ? undefined
        : `must be one of ${rule.oneOf.map((s) => `"${s}"`).join(", ")}, got "${v}"`;
    case "seed":
      return (typeof v === "number" && Number.isFinite(v)) || typeof v === "string"
        ? undefined
        : `must be a finite number or a string, got ${describe(v)}`;
    case "list": {
      if (!Array.isArray(v)) return `must be a list, got ${describe(v)}`;
      if (rule.nonEmpty && v.length === 0) return `must not be empty${hint}`;
      const bad = v.find((x) => typeof x !== rule.of || (rule.of === "number" && !Number.isFinite(x)));
      if (bad !== undefined) return `must be a list of ${rule.of}s, got ${describe(v)}`;
      const unknown = rule.oneOf ? v.find((x) => !rule.oneOf!.includes(x)) : undefined;
      return unknown === undefined
        ? undefined
        : `has "${unknown}", which is not one of ${rule.oneOf!.map((s) => `"${s}"`).join(", ")}`;
    }
    case "object":
      return v !== null && typeof v === "object" && !Array.isArray(v)
        ? undefined
        : `must be an object, got ${describe(v)}`;
  }
}

/** Refuses keys a config does not have, suggesting the closest field. */
export function refuseUnknownKeys(config: string, given: object, known: readonly string[], noun = "field"): void {
  for (const key of Object.keys(given)) {
    if (known.includes(key)) continue;
    const guess = didYouMean(key, known);
    throw new ConfigError(
      config,
      undefined,
      `unknown ${noun} "${key}"${guess ? ` (did you mean "${guess}"?)` : ""}; the ${noun}s are ${known.join(", ")}.`,
    );
  }
}

/**
 * Defines a config from its defaults and field rules. `check` adds rules between fields; it calls
 * fail(field, message) to throw a ConfigError naming the field.
 */
export function defineConfig<T extends object>(
  name: string,
  defaults: T,
  rules: FieldRules<T>,
  check?: (config: T, fail: (field: keyof T & string, message: string) => never) => void,
): ConfigDefinition<T> {
  const frozen = deepFreeze(copy(defaults));
  const fields = Object.keys(rules) as (keyof T & string)[];
  const fail = (field: keyof T & string, message: string): never => {
    throw new ConfigError(name, field, message);
  };
  const checkAll = (c: T): T => {
    for (const f of fields) {
      const why = problem(rules[f], c[f]);
      if (why) fail(f, why);
    }
    check?.(c, fail);
    return c;
  };
  const flagOf = (f: keyof T & string) => rules[f].flag ?? kebab(f);
  return {
    name,
    defaults: frozen,
    rules,
    make(overrides = {}, base = frozen as T) {
      refuseUnknownKeys(name, overrides, fields);
      return checkAll({ ...copy(base), ...copy(overrides) } as T);
    },
    check: checkAll,
    flags: (omit = []) =>
      fields
        .filter((f) => rules[f].type !== "object" && !omit.includes(f))
        .map(
          (f) =>
            `--${flagOf(f)}${rules[f].type === "boolean" ? "" : ` <${rules[f].type === "list" ? "a,b" : rules[f].type}>`}`,
        ),
    fromArgs(argv, { extra = {}, omit = [] } = {}) {
      const options: Record<string, { type: "string" | "boolean" }> = { ...extra };
      const fieldOfFlag = new Map<string, keyof T & string>();
      for (const f of fields) {
        if (rules[f].type === "object" || omit.includes(f)) continue;
        options[flagOf(f)] = { type: rules[f].type === "boolean" ? "boolean" : "string" };
        fieldOfFlag.set(flagOf(f), f);
      }
      let values: Record<string, string | boolean | undefined>;
      try {
        values = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values as Record<
          string,
          string | boolean | undefined
        >;
      } catch (err) {
        const unknown = /Unknown option '--?([^']+)'/.exec((err as Error).message)?.[1];
        const guess = unknown ? didYouMean(unknown, Object.keys(options)) : undefined;
        throw new ConfigError(
          name,
          undefined,
          `${(err as Error).message.split(".")[0]}${guess ? ` (did you mean --${guess}?)` : ""}; ` +
            `the options are ${Object.keys(options)
              .map((o) => `--${o}`)
              .join(", ")}.`,
        );
      }
      const overrides: Record<string, unknown> = {};
      const rest: Record<string, string | boolean | undefined> = {};
      for (const [flag, value] of Object.entries(values)) {
        const f = fieldOfFlag.get(flag);
        if (!f) {
          rest[flag] = value;
          continue;
        }
        const rule = rules[f];
        if (rule.type === "integer" || rule.type === "number") overrides[f] = Number(value);
        else if (rule.type === "seed") overrides[f] = /^-?\d+$/.test(String(value)) ? Number(value) : value;
        else if (rule.type === "list")
          overrides[f] = String(value)
            .split(",")
            .filter((s) => s !== "")
            .map((s) => (rule.of === "number" ? Number(s) : s));
        else overrides[f] = value;
        const why = problem(rule, overrides[f]);
        if (why) throw new ConfigError(name, f, `--${flag} ${why}`);
      }
      return { overrides: overrides as Partial<T>, extra: rest };
    },
  };
}
