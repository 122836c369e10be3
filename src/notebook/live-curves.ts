// A chart that grows while a long cell runs: loss curves during training, redrawn in place.
//
//   const curves = new LiveCurves("Pre-training loss", { x: "step", y: "loss" });
//   ... curves.add("train", step, loss) ...   (redraws at most every `intervalMs`)
//   await curves.finish();                     (final redraw, with a static PNG)
import { lineChart } from "./charts";
import { LiveDisplay } from "./display";

export class LiveCurves {
  private readonly series = new Map<string, { x: number[]; y: number[] }>();
  private readonly display = new LiveDisplay();
  private lastDraw = 0;
  private pending: Promise<void> = Promise.resolve();

  constructor(
    private readonly title: string,
    private readonly axes: { x: string; y: string },
    private readonly intervalMs = 1000,
  ) {}

  /** Names the curves in the order they are drawn (and listed), before their first points arrive. */
  declare(...names: string[]): this {
    for (const name of names) if (!this.series.has(name)) this.series.set(name, { x: [], y: [] });
    return this;
  }

  /** Adds a point to a named curve; redraws if the last redraw is older than intervalMs. */
  add(name: string, x: number, y: number): void {
    let s = this.series.get(name);
    if (!s) this.series.set(name, (s = { x: [], y: [] }));
    s.x.push(x);
    s.y.push(y);
    const now = Date.now();
    if (now - this.lastDraw >= this.intervalMs) {
      this.lastDraw = now;
      this.pending = this.pending.then(() => this.display.figure(this.figure()));
    }
  }

  /** The curves as a plotly figure. */
  figure() {
    return lineChart(
      this.title,
      [...this.series].map(([name, s]) => ({ name, x: s.x, y: s.y })),
      this.axes,
    );
  }

  /** Draws the final state, including a static PNG. */
  async finish(): Promise<void> {
    await this.pending;
    await this.display.figure(this.figure(), { png: true });
  }
}
