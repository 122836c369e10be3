// Types of kernel/tensorflow-log.cjs for the TypeScript tests that import it.
export const ABSL_PREAMBLE: string;
export const LOG_FILE: string;
export function isTensorFlowNotice(line: string, previous?: string): boolean;
export class TensorFlowLogFilter {
  constructor(pass: (text: string) => void, divert: (text: string) => void);
  write(chunk: string | Buffer): void;
  end(): void;
}
export function spawnWithTensorFlowLogFiltered(
  command: string,
  args: string[],
  options?: import("node:child_process").SpawnOptions,
): Promise<number>;
