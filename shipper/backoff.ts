/**
 * Retry delays: exponential backoff with full jitter, and the server's `Retry-After` when it
 * sends one. Pure functions; the random source and the clock are parameters so tests can pin them.
 */

/**
 * Delay before retry number `attempt` (1-based), "full jitter" as the AWS Architecture Blog
 * defines it ("Exponential Backoff And Jitter", 2015): uniform in [0, min(maxMs, initialMs·2^(attempt-1))].
 * Of the variants compared there it spreads the retries of competing clients best and costs the
 * fewest calls in total; a delay near zero is part of the design, not a flaw.
 */
export function backoffDelay(
  attempt: number,
  initialMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(random() * ceiling);
}

/** `Retry-After` as delay-seconds: digits only (RFC 9110 §10.2.3). */
const DELAY_SECONDS = /^\d+$/;
/**
 * `Retry-After` as an HTTP date: each of its three accepted forms begins with the day name.
 * Checked first because Date.parse also reads strings such as "1.5" as dates.
 */
const HTTP_DATE = /^(mon|tue|wed|thu|fri|sat|sun)/i;

/**
 * Milliseconds a `Retry-After` header asks to wait, or undefined when there is none or it is
 * unreadable. It is either delay-seconds or an HTTP date (a date in the past means now); the
 * answer is capped at `maxMs`, so a server asking for an hour cannot stall the caller for an hour.
 */
export function retryAfterMs(value: string | undefined, maxMs: number, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  let ms: number;
  if (DELAY_SECONDS.test(text)) ms = Number(text) * 1000;
  else {
    const at = HTTP_DATE.test(text) ? Date.parse(text) : Number.NaN;
    if (Number.isNaN(at)) return undefined;
    ms = Math.max(0, at - now);
  }
  return Math.min(ms, maxMs);
}

/**
 * The delay before the next retry: the jittered backoff, but never less than what the server
 * asked for with `Retry-After`, and never more than `maxMs`.
 */
export function retryDelay(
  attempt: number,
  initialMs: number,
  maxMs: number,
  retryAfter: number | undefined,
  random: () => number = Math.random,
): number {
  const backoff = backoffDelay(attempt, initialMs, maxMs, random);
  return retryAfter === undefined ? backoff : Math.min(maxMs, Math.max(backoff, retryAfter));
}
