/**
 * Progress while a backlog is shipped: one updating line on stderr, only on a terminal and only
 * while the backlog is large enough to be worth watching.
 */
import type { ShipperSnapshot } from './metrics.ts';

/** Backlog below which no progress is shown. */
export const PROGRESS_MIN_LAG_BYTES = 1024 * 1024;

/** Renders the progress line; pure, for tests. */
export function progressLine(snapshot: ShipperSnapshot, linesPerSecond: number, startLagBytes: number): string {
  const done = startLagBytes > 0 ? Math.min(100, Math.max(0, 100 * (1 - snapshot.lagBytes / startLagBytes))) : 100;
  const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  return `shipping backlog ${done.toFixed(0).padStart(3)}% | ${snapshot.linesShipped} lines shipped | ${Math.round(linesPerSecond)} lines/s | ${mb(snapshot.lagBytes)} to go | ${snapshot.retries} retries`;
}

/** Writes the progress line to a TTY stream now and then; does nothing elsewhere. */
export class Progress {
  readonly #stream: NodeJS.WriteStream;
  #shown = false;
  #startLag = 0;
  #last: { at: number; shipped: number } | undefined;

  constructor(stream: NodeJS.WriteStream = process.stderr) {
    this.#stream = stream;
  }

  /** Update with a fresh snapshot. */
  update(snapshot: ShipperSnapshot, now = Date.now()): void {
    if (!this.#stream.isTTY) return;
    if (!this.#shown && snapshot.lagBytes < PROGRESS_MIN_LAG_BYTES) return;
    if (!this.#shown) {
      this.#shown = true;
      this.#startLag = snapshot.lagBytes;
    }
    this.#startLag = Math.max(this.#startLag, snapshot.lagBytes);
    const elapsed = this.#last === undefined ? 0 : (now - this.#last.at) / 1000;
    const rate = elapsed > 0 && this.#last !== undefined ? (snapshot.linesShipped - this.#last.shipped) / elapsed : 0;
    this.#last = { at: now, shipped: snapshot.linesShipped };
    this.#stream.write(`\r\x1b[2K${progressLine(snapshot, rate, this.#startLag)}`);
    if (snapshot.lagBytes === 0) this.done();
  }

  /** End the progress line. */
  done(): void {
    if (!this.#shown) return;
    this.#stream.write('\n');
    this.#shown = false;
    this.#startLag = 0;
  }
}
