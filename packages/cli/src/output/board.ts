// Output for commands that show progress: on a terminal, a few status lines kept at the bottom of the screen
// (redrawn in place) with ordinary lines scrolling above them; elsewhere, ordinary lines only.
import { type Output } from '../context.js';

export class ProgressBoard {
  private readonly rows = new Map<string, () => string>();
  private drawn = 0;
  private timer: NodeJS.Timeout | undefined;
  readonly live: boolean;

  /** `live`: draw status rows (the status stream is a terminal). */
  constructor(
    private readonly status: Output,
    live = status.isTTY === true,
  ) {
    this.live = live;
  }

  get width(): number {
    return Math.max(40, (this.status.columns ?? 100) - 1);
  }

  /** Prints a line on `to` above the status rows. */
  print(to: Output, text: string): void {
    this.erase();
    to.write(`${text}\n`);
    this.draw();
  }

  /** Sets (or replaces) a status row; `render` is called at every redraw (animations tick). */
  row(key: string, render: () => string): void {
    if (!this.live) return;
    this.rows.set(key, render);
    this.timer ??= setInterval(() => this.redraw(), 200);
    this.redraw();
  }

  removeRow(key: string): void {
    if (!this.rows.delete(key)) return;
    this.redraw();
  }

  /** Removes every status row and stops redrawing. */
  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.erase();
    this.rows.clear();
  }

  private redraw(): void {
    this.erase();
    this.draw();
  }

  private erase(): void {
    if (this.drawn === 0) return;
    this.status.write(`\x1b[${this.drawn}A\x1b[0J`);
    this.drawn = 0;
  }

  private draw(): void {
    if (!this.live || this.rows.size === 0) return;
    const width = this.width;
    const lines = [...this.rows.values()].map((render) => {
      const text = render();
      return text.length > width ? `${text.slice(0, width - 1)}…` : text;
    });
    this.status.write(`${lines.join('\n')}\n`);
    this.drawn = lines.length;
  }
}
