// A one-line progress bar for long runs in a terminal: bar, step, loss, tokens/s and time left.
// When the output is not a terminal (CI logs, files) it prints a plain line every `every` calls.

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "--:--";
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600),
    m = Math.floor((s % 3600) / 60),
    r = s % 60;
  const mm = String(m).padStart(2, "0"),
    ss = String(r).padStart(2, "0");
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

export class ProgressBar {
  private calls = 0;
  constructor(
    private readonly stream: NodeJS.WriteStream = process.stdout,
    private readonly every = 25,
    private readonly width = 24,
  ) {}

  update(done: number, total: number, fields: Record<string, string>): void {
    this.calls++;
    const info = Object.entries(fields)
      .map(([k, v]) => `${k} ${v}`)
      .join("  ");
    if (this.stream.isTTY) {
      const filled = Math.round((this.width * done) / total);
      this.stream.write(`\r[${"#".repeat(filled)}${".".repeat(this.width - filled)}] ${done}/${total}  ${info}\x1b[K`);
    } else if (this.calls % this.every === 0 || done === total) {
      this.stream.write(`${done}/${total}  ${info}\n`);
    }
  }

  /** Prints a message on its own line without breaking the bar. */
  log(message: string): void {
    if (this.stream.isTTY) this.stream.write("\r\x1b[K");
    this.stream.write(`${message}\n`);
  }
}
