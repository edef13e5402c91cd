/**
 * Notices that this process stood still (SIGSTOP, a long GC pause, a suspended VM): a timer
 * that should tick every `tickMs` finds, on a monotonic clock, that far more time went by. A
 * frozen worker cannot log while frozen, so the pause is reported when it runs again, with
 * its length: the one way its lines can say "resumed" rather than leave a silent hole.
 */

/** How long the loop stood still beyond the expected tick, or 0 when the tick came in time. */
export function pauseOf(lastTickAt: number, now: number, tickMs: number, thresholdMs: number): number {
  const late = now - lastTickAt - tickMs;
  return late >= thresholdMs ? late : 0;
}

/** Options of {@link watchFreezes}. */
export interface FreezeWatchOptions {
  /** A stand-still at least this long is reported. */
  readonly thresholdMs: number;
  /** Tick period (default 250 ms). */
  readonly tickMs?: number;
  /** Called on the first tick after a stand-still, with its length in ms. */
  readonly onResumed: (pausedMs: number) => void;
}

/** Start watching; returns the function that stops it. The timer never keeps the process alive. */
export function watchFreezes(options: FreezeWatchOptions): () => void {
  const tickMs = options.tickMs ?? 250;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    const paused = pauseOf(last, now, tickMs, options.thresholdMs);
    last = now;
    if (paused > 0) options.onResumed(paused);
  }, tickMs);
  timer.unref();
  return () => clearInterval(timer);
}
