/** Exponential backoff with full jitter (AWS architecture blog's variant): spreads retries of many shippers. */

/** Delay before retry number `attempt` (1-based): uniform in [initial/2, min(max, initial·2^(attempt-1))]. */
export function backoffDelay(
  attempt: number,
  initialMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1));
  const floor = Math.min(ceiling, initialMs / 2);
  return Math.round(floor + random() * (ceiling - floor));
}
