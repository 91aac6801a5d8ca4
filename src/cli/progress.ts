/**
 * Progress of a long run on stderr: on a terminal, a bar redrawn in place with rows, rate and
 * ETA; otherwise (a log file, CI) a plain line now and then. The share done is measured in
 * bytes of the file read, so nothing has to count the rows first.
 */
export interface ProgressOutput {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

export interface ProgressOptions {
  readonly label: string;
  /** Size of the input in bytes; 0 or unknown: no percentage, no ETA. */
  readonly totalBytes: number;
  readonly out: ProgressOutput;
  /** Plain lines at most this often (ms); the bar redraws at most every 100 ms. */
  readonly lineEveryMs?: number;
  readonly now?: () => number;
}

const BAR_WIDTH = 24;

export class Progress {
  private readonly started: number;
  private lastDraw = -Infinity;
  private rows = 0;
  private bytes = 0;
  private finished = false;
  private finishedAt?: number;

  constructor(private readonly options: ProgressOptions) {
    this.started = this.now();
  }

  update(rows: number, bytes: number): void {
    this.rows = rows;
    this.bytes = bytes;
    const t = this.now();
    const tty = !!this.options.out.isTTY;
    if (t - this.lastDraw < (tty ? 100 : (this.options.lineEveryMs ?? 5000))) return;
    this.lastDraw = t;
    this.options.out.write(tty ? `\r${this.text(t, true)}\x1b[K` : `${this.text(t, false)}\n`);
  }

  /** The last state, on its own line. */
  finish(rows = this.rows): void {
    if (this.finished) return;
    this.finished = true;
    this.rows = rows;
    this.bytes = this.options.totalBytes || this.bytes;
    const t = this.now();
    this.finishedAt = t;
    const tty = !!this.options.out.isTTY;
    this.options.out.write(tty ? `\r${this.text(t, true)}\x1b[K\n` : `${this.text(t, false)}\n`);
  }

  /** Seconds since the start (until finish()). */
  seconds(): number {
    return ((this.finishedAt ?? this.now()) - this.started) / 1000;
  }

  /** Rows per second since the start. */
  rate(at = this.finishedAt ?? this.now()): number {
    const seconds = (at - this.started) / 1000;
    return seconds > 0 ? this.rows / seconds : 0;
  }

  private text(t: number, bar: boolean): string {
    const total = this.options.totalBytes;
    const share = total > 0 ? Math.min(1, this.bytes / total) : undefined;
    const elapsed = (t - this.started) / 1000;
    const rate = this.rate(t);
    const eta = share !== undefined && share > 0 && share < 1 ? (elapsed * (1 - share)) / share : undefined;
    const parts = [
      `${this.options.label}`,
      ...(bar && share !== undefined ? [`[${"#".repeat(Math.round(share * BAR_WIDTH)).padEnd(BAR_WIDTH, "-")}]`] : []),
      ...(share !== undefined ? [`${Math.floor(share * 100)}%`] : []),
      `${this.rows.toLocaleString("en-US")} rows`,
      `${Math.round(rate).toLocaleString("en-US")} rows/s`,
      this.finished ? `in ${duration(elapsed)}` : eta !== undefined ? `ETA ${duration(eta)}` : `${duration(elapsed)}`,
    ];
    return parts.join("  ");
  }

  private now(): number {
    return this.options.now ? this.options.now() : performance.now();
  }
}

/** 75 → "1:15", 3725 → "1:02:05". */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}
