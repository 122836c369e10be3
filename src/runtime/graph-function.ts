// Record once, replay as one TensorFlow function: the same ops, without a JavaScript call per op.
//
// Eager TensorFlow.js sends every op through JavaScript, N-API and TFE_Execute, about 0.09 ms each,
// and a training step of the lesson's model is about a thousand ops. On the native backend, a
// RecordedFunction runs its body once eagerly while the addon writes each op into a TensorFlow graph
// (kernel/native/graph_function.cc); every later call runs that graph as one TensorFlow function,
// which Grappler prunes and fuses and the executor runs with reused buffers. The model stays written
// in TypeScript: the graph is exactly the ops its eager code ran.
//
// What a body may do: compute tensors from its arguments (and from tensors that stay the same, such
// as a model's cached masks: those are captured). What it may not do: depend on values that change
// between calls other than through its arguments. A JavaScript number turned into a tensor inside
// the body (a learning rate, a dropout mask drawn in JavaScript) is recorded as a constant and
// replayed unchanged; pass such values as tensor arguments instead. Shapes are recorded too, so a
// function is recorded per argument shape (ShapeKeyedFunction does that).
//
// On the wasm and plain-JS backends, or with WORKBOOK_GRAPH=0, the body simply runs every time.
import * as tf from "@tensorflow/tfjs";
import { notify } from "../util/notices";

/** tfjs-node's binding: what the patched addon adds (kernel/native/graph_function.cc) and what it had. */
interface GraphBinding {
  TF_ATTR_TYPE: number;
  TF_ATTR_BOOL: number;
  TF_FLOAT: number;
  graphBegin(argIds: number[]): void;
  graphAddConst(id: number): void;
  graphAddOp(op: string, attrs: unknown[], inputIds: number[], outputIds: number[]): void;
  graphEnd(name: string, argIds: number[], outputIds: number[], xla: boolean): number;
  graphAbort(): void;
  graphCall(name: string, argIds: number[]): TensorInfo[];
  graphRelease(name: string): void;
  executeOp(op: string, attrs: unknown[], inputIds: number[], numOutputs: number): TensorInfo[];
  createTensor(shape: number[], dtype: number, values: unknown): number;
}
interface TensorInfo {
  id: number;
  shape: number[];
  dtype: number;
}
/** The parts of tfjs-node's NodeJSKernelBackend the workbook calls directly (here and runtime/matmul.ts). */
export interface NodeBackend {
  binding: GraphBinding;
  getInputTensorIds(tensors: tf.Tensor[]): number[];
  createOutputTensor(info: TensorInfo): tf.Tensor;
  executeSingleOutput(name: string, attrs: unknown[], inputs: tf.Tensor[]): tf.Tensor;
}

export interface RecordOptions {
  /**
   * Compile the function with XLA (as tf.function(jit_compile=True)): elementwise chains fused into
   * single loops, at the price of a compile on the first call (about a second; kept on disk by
   * initBackend, so once per machine and shape). WORKBOOK_XLA=1 or 0 overrides it for every function.
   */
  xla?: boolean;
}

/** Whether a function recorded with these options is compiled with XLA (WORKBOOK_XLA=1/0 decides for all). */
export function usesXla(options: RecordOptions = {}): boolean {
  const forced = process.env.WORKBOOK_XLA;
  return forced === "1" ? true : forced === "0" ? false : (options.xla ?? false);
}

/** Why graph functions are off here, or undefined when they are available. */
export function graphFunctionsUnavailableReason(): string | undefined {
  if (process.env.WORKBOOK_GRAPH === "0") return "WORKBOOK_GRAPH=0 asks for eager execution";
  if (tf.getBackend() !== "tensorflow") return `the ${tf.getBackend()} backend runs ops one by one`;
  const binding = (tf.backend() as unknown as Partial<NodeBackend>).binding;
  if (typeof binding?.graphCall !== "function")
    return "the native addon has no graph functions (an older build: run `npm run setup`)";
  return undefined;
}

let counter = 0;
/** Only one recording at a time: the addon keeps one graph under construction. */
let recording = false;

/**
 * A body of tensor ops recorded into one TensorFlow function on its first call, replayed on later
 * calls with new arguments of the same shapes and dtypes. Falls back to running the body each time
 * where graph functions are unavailable. Call dispose() to release the function.
 */
export class RecordedFunction {
  private name: string | undefined;
  /** Ops recorded (0 before the first call, or when running eagerly). */
  recordedOps = 0;
  /** Tensors from outside the arguments that the function keeps (a model's cached masks). */
  captured = 0;

  constructor(
    readonly label: string,
    private readonly body: (args: tf.Tensor[]) => tf.Tensor[],
    private readonly options: RecordOptions = {},
  ) {}

  /** True once a graph function exists and calls replay it. */
  get isRecorded(): boolean {
    return this.name !== undefined;
  }

  call(args: tf.Tensor[]): tf.Tensor[] {
    // Inside another function's recording, run the ops so that they are recorded there.
    if (recording || this.failure !== undefined || graphFunctionsUnavailableReason() !== undefined)
      return this.eager(args);
    if (this.name !== undefined) return this.replay(args);
    try {
      return this.record(args);
    } catch (err) {
      // A body the graph cannot hold (an op whose graph form differs from its eager form) still runs:
      // eagerly, from now on, after saying once why.
      this.failure = String((err as Error).message ?? err).split("\n")[0];
      notify("graph function", `${this.label} runs op by op: ${this.failure}`);
      return this.eager(args);
    }
  }

  /** The body, op by op; its intermediate tensors are freed. */
  private eager(args: tf.Tensor[]): tf.Tensor[] {
    return tf.tidy(() => this.body(args));
  }

  /** Why recording failed, if it did; the body then runs eagerly. */
  failure: string | undefined;

  private replay(args: tf.Tensor[]): tf.Tensor[] {
    const backend = tf.backend() as unknown as NodeBackend;
    const infos = backend.binding.graphCall(this.name!, backend.getInputTensorIds(args));
    return infos.map((info) => backend.createOutputTensor(info));
  }

  private record(args: tf.Tensor[]): tf.Tensor[] {
    const backend = tf.backend() as unknown as NodeBackend;
    const real = backend.binding;
    const name = `workbook_${this.label.replace(/[^A-Za-z0-9_]/g, "_")}_${++counter}`;
    const argIds = backend.getInputTensorIds(args); // uploads arguments still held in JavaScript
    // The binding's own properties are read-only; a plain copy with two methods wrapped stands in
    // for it while recording. Each op runs eagerly as usual, then is written into the graph.
    const recorder = Object.fromEntries(
      Object.getOwnPropertyNames(real).map((k) => [k, (real as unknown as Record<string, unknown>)[k]]),
    ) as unknown as GraphBinding;
    recorder.executeOp = (op, attrs, inputIds, numOutputs) => {
      const outputs = real.executeOp(op, attrs, inputIds, numOutputs);
      real.graphAddOp(
        op,
        attrs,
        inputIds,
        outputs.map((o) => o.id),
      );
      this.recordedOps += 1;
      return outputs;
    };
    recorder.createTensor = (shape, dtype, values) => {
      const id = real.createTensor(shape, dtype, values);
      real.graphAddConst(id);
      return id;
    };
    real.graphBegin(argIds);
    recording = true;
    backend.binding = recorder;
    let outputs: tf.Tensor[];
    let outputIds: number[];
    try {
      outputs = tf.tidy(() => this.body(args)); // on a failure, the recording's tensors are freed
      outputIds = backend.getInputTensorIds(outputs); // outputs still held in JavaScript become constants
    } catch (err) {
      real.graphAbort();
      throw err;
    } finally {
      backend.binding = real;
      recording = false;
    }
    this.captured = real.graphEnd(name, argIds, outputIds, usesXla(this.options));
    this.name = name;
    // Every result comes from the function, the first one too: a graph may round differently from
    // the eager ops (fused kernels), and a run must not depend on which call happened to record
    // (a resumed run records again at its first step and must still match an uninterrupted one).
    tf.dispose(outputs);
    return this.replay(args);
  }

  dispose(): void {
    if (this.name === undefined) return;
    (tf.backend() as unknown as NodeBackend).binding.graphRelease(this.name);
    this.name = undefined;
  }
}

/**
 * A RecordedFunction per combination of argument shapes: a body whose ops depend on the shapes (a
 * batch of another sequence length) is recorded again for each new combination and replayed after.
 */
export class ShapeKeyedFunction {
  private readonly byShape = new Map<string, RecordedFunction>();

  constructor(
    readonly label: string,
    private readonly body: (args: tf.Tensor[]) => tf.Tensor[],
    private readonly options: RecordOptions = {},
  ) {}

  call(args: tf.Tensor[]): tf.Tensor[] {
    const key = args.map((a) => `${a.dtype}[${a.shape.join(",")}]`).join(";");
    let fn = this.byShape.get(key);
    if (!fn) {
      fn = new RecordedFunction(this.label, this.body, this.options);
      this.byShape.set(key, fn);
    }
    return fn.call(args);
  }

  /** Shape combinations recorded so far. */
  get recordings(): number {
    return [...this.byShape.values()].filter((f) => f.isRecorded).length;
  }

  dispose(): void {
    for (const fn of this.byShape.values()) fn.dispose();
    this.byShape.clear();
  }
}

/** Recorded functions that belong to an object (a model's decoding steps, its loss per batch shape). */
const owned = new WeakMap<object, Map<string, ShapeKeyedFunction>>();

/**
 * The function `key` of `owner`, recorded from `body` per argument shape on first use and kept for
 * the owner's later calls. releaseRecorded(owner) frees them (GPT.dispose does, for a model's).
 */
export function recordedFor(
  owner: object,
  key: string,
  body: (args: tf.Tensor[]) => tf.Tensor[],
  options: RecordOptions = {},
): ShapeKeyedFunction {
  let fns = owned.get(owner);
  if (!fns) owned.set(owner, (fns = new Map()));
  const xla = usesXla(options);
  const fullKey = `${key}/xla=${xla}`;
  let fn = fns.get(fullKey);
  if (!fn) {
    fn = new ShapeKeyedFunction(key, body, { xla });
    fns.set(fullKey, fn);
  }
  return fn;
}

/** Frees the functions recorded for `owner`. */
export function releaseRecorded(owner: object): void {
  for (const fn of owned.get(owner)?.values() ?? []) fn.dispose();
  owned.delete(owner);
}
