// The progress display of `lift train` on stderr: on a terminal, one line
// rewritten in place (at most ten times a second); otherwise (a log file, a
// pipe) a full line every few seconds, so logs stay readable.

export interface TextSink {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressState {
  epoch: number;
  epochs: number;
  /** steps done in this epoch, and the epoch's number of steps */
  stepInEpoch: number;
  stepsPerEpoch: number;
  globalStep: number;
  imagesPerSecond: number;
  /** mean training loss over the epoch so far */
  loss: number;
  /** seconds of training left, estimated */
  etaSeconds: number;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

export class Progress {
  private lastDraw = -Infinity;
  private drawn = false;

  constructor(
    private readonly sink: TextSink | null,
    private readonly lineIntervalMs = 5000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  private get tty(): boolean {
    return this.sink?.isTTY === true;
  }

  static line(p: ProgressState, width = 24): string {
    const frac = p.stepsPerEpoch > 0 ? p.stepInEpoch / p.stepsPerEpoch : 1;
    const filled = Math.round(frac * width);
    const bar = `[${"#".repeat(filled)}${"-".repeat(width - filled)}]`;
    const steps = String(p.stepsPerEpoch);
    return (
      `epoch ${p.epoch}/${p.epochs} ${bar} ${String(p.stepInEpoch).padStart(steps.length)}/${steps}` +
      `  step ${p.globalStep}  ${Math.round(p.imagesPerSecond)} img/s  loss ${p.loss.toFixed(4)}  ETA ${formatDuration(p.etaSeconds)}`
    );
  }

  /** Shows `p` if enough time has passed since the last update (always when `force`). */
  update(p: ProgressState, force = false): void {
    if (!this.sink) return;
    const t = this.now();
    const interval = this.tty ? 100 : this.lineIntervalMs;
    if (!force && t - this.lastDraw < interval) return;
    this.lastDraw = t;
    if (this.tty) {
      const cols = this.sink.columns ?? 120;
      this.sink.write(`\r${Progress.line(p).slice(0, Math.max(20, cols - 1))}\x1b[K`);
      this.drawn = true;
    } else {
      this.sink.write(`${Progress.line(p)}\n`);
    }
  }

  /** Prints a whole line, clearing the progress line first on a terminal. */
  log(line: string): void {
    if (!this.sink) return;
    this.clear();
    this.sink.write(`${line}\n`);
  }

  clear(): void {
    if (this.sink && this.tty && this.drawn) this.sink.write("\r\x1b[K");
    this.drawn = false;
  }

  /** Restart the interval, so the next non-forced update waits a full interval. */
  reset(): void {
    this.lastDraw = this.now();
  }
}
