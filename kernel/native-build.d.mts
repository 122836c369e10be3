// Types of kernel/native-build.mjs for the TypeScript tests that import it.
export interface NativeStatus {
  ok: boolean;
  stage?: "build" | "check" | "off";
  reason?: string;
  key?: string;
  builtAt?: string;
  dir?: string;
  [field: string]: unknown;
}
export const TF_WHEEL: { name: string; version: string };
export const RETRY_BUILD: string;
export const RETRY_CHECK: string;
export const PROBE_MARKER: string;
export function buildKey(root: string): { key: string; tfjsNodeVersion: string };
export function buildNativeBackend(options: {
  root: string;
  state: string;
  python: string;
  log: (msg: string) => void;
  say: (msg: string) => void;
}): NativeStatus;
export function readProbeReport(
  stdout: string,
  stderr?: string,
  exitStatus?: number | null,
): { backend: string; tfVersion: string };
export function runNativeProbe(root: string, env?: NodeJS.ProcessEnv): { backend: string; tfVersion: string };
export function linkNativeBackend(options: { root: string; status: NativeStatus & { dir: string } }): void;
