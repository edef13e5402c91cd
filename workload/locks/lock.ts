/**
 * Resource locks with leases and fencing tokens, on one Redis.
 *
 * Why our own and not redis-semaphore or redlock: those give acquire/extend/release by token
 * but no fencing token, and the fencing token has to be handed out in the same atomic step as
 * the lock (otherwise two holders could read tokens out of order), so it would have meant
 * wrapping their Lua anyway. The whole mechanism is four short scripts (./lua) and this file.
 *
 * Safety model: the lease (PX TTL) bounds how long a dead holder blocks other jobs (a later
 * attempt of the same job takes its lock over at once); the fencing token, checked by the result
 * store on every write against the last token issued, is what stops a holder that paused past
 * its lease from writing once a newer holder exists. The lease is renewed every `renewEveryMs` (default
 * TTL/3, never more than ⅔ TTL); a renewal that finds the lock gone, or no successful renewal
 * before the lease would end by the local clock, marks the lease lost and aborts its signal.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RedisClient } from '../queue/redis-client.ts';
import { fenceKey, lockKey } from './keys.ts';
import { runScript } from './scripts.ts';

/** Who holds (or asks for) a lock: shown to contenders as the original. */
export interface LockHolder {
  task_id: string;
  correlation_id: string;
}

/** A lock record as stored: the holder plus its token and fence. */
export interface LockRecord extends LockHolder {
  token: string;
  fence: number;
}

/** Lease settings. */
export interface LeaseOptions {
  /** Lease length in ms. */
  ttlMs: number;
  /** Renewal period; default ttl/3, capped at ⅔ of the TTL. */
  renewEveryMs?: number;
  /** Called once when the lease is lost, with the reason. */
  onLost?: (reason: string) => void;
}

/**
 * Outcome of one acquisition attempt. `takenOverFence` is set when the lock was held by an
 * earlier attempt of the same task (same task_id) and taken over from it: that attempt's fence.
 */
export type AcquireResult =
  | { acquired: true; lease: Lease; takenOverFence?: number }
  | { acquired: false; holder: LockRecord | undefined; remainingMs: number };

/**
 * Try once to take the lock on `resource` (no waiting). A lock held by an earlier attempt of the
 * same task (`holder.task_id`) is taken over at once with a new fence: that attempt's writes are
 * refused from then on, so it cannot overwrite this one's.
 */
export async function tryAcquire(
  redis: RedisClient,
  resource: string,
  holder: LockHolder,
  options: LeaseOptions,
): Promise<AcquireResult> {
  const token = randomBytes(16).toString('hex');
  const startedAt = Date.now();
  const reply = (await runScript(
    redis,
    'acquireLock',
    [lockKey(resource), fenceKey(resource)],
    [token, options.ttlMs, holder.task_id, holder.correlation_id],
  )) as [number, number | string, number?];
  if (reply[0] === 1) {
    const lease = new Lease(redis, resource, token, Number(reply[1]), startedAt, options);
    return reply[2] === undefined ? { acquired: true, lease } : { acquired: true, lease, takenOverFence: reply[2] };
  }
  return { acquired: false, holder: parseRecord(reply[1]), remainingMs: Math.max(0, Number(reply[2] ?? 0)) };
}

/** Options of {@link acquireOrWait}. */
export interface WaitOptions extends LeaseOptions {
  /** Give up after this long. */
  maxWaitMs: number;
  /** Longest pause between attempts (default 100 ms; jittered). */
  pollMs?: number;
  /** Called once, on the first attempt that finds the lock held. */
  onContended?: (holder: LockRecord | undefined) => void;
  signal?: AbortSignal;
}

/**
 * Take the lock, waiting while another holder has it, up to `maxWaitMs`. Redis errors while
 * waiting are retried until the deadline. Returns the last refusal when time runs out.
 */
export async function acquireOrWait(
  redis: RedisClient,
  resource: string,
  holder: LockHolder,
  options: WaitOptions,
): Promise<AcquireResult> {
  const deadline = Date.now() + options.maxWaitMs;
  const pollMs = options.pollMs ?? 100;
  let contended = false;
  let last: AcquireResult = { acquired: false, holder: undefined, remainingMs: 0 };
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      last = await tryAcquire(redis, resource, holder, options);
      if (last.acquired) return last;
      if (!contended) {
        contended = true;
        options.onContended?.(last.holder);
      }
    } catch (error) {
      if (Date.now() >= deadline) throw error;
    }
    const left = deadline - Date.now();
    if (left <= 0) return last;
    const remaining = last.acquired ? 0 : last.remainingMs;
    // Jitter spreads waiters so they do not all hit Redis the moment a lock is freed.
    const pause = Math.min(left, Math.max(5, Math.min(pollMs, remaining || pollMs)) * (0.5 + Math.random() / 2));
    await sleep(pause, undefined, options.signal ? { signal: options.signal } : undefined);
  }
}

/** Release a lock by token: deletes it only if that token still owns it. Returns true if deleted. */
export async function releaseByToken(redis: RedisClient, resource: string, token: string): Promise<boolean> {
  return Number(await runScript(redis, 'releaseLock', [lockKey(resource)], [token])) === 1;
}

/** Extend a lock by token: only if that token still owns it. Returns true if extended. */
export async function extendByToken(
  redis: RedisClient,
  resource: string,
  token: string,
  ttlMs: number,
): Promise<boolean> {
  return Number(await runScript(redis, 'extendLock', [lockKey(resource)], [token, ttlMs])) === 1;
}

/** The current holder of a resource's lock, if any. */
export async function currentHolder(redis: RedisClient, resource: string): Promise<LockRecord | undefined> {
  return parseRecord(await redis.get(lockKey(resource)));
}

function parseRecord(value: unknown): LockRecord | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const record = JSON.parse(value) as LockRecord;
    return typeof record.token === 'string' ? record : undefined;
  } catch {
    return undefined;
  }
}

/** How a release ended. */
export type ReleaseOutcome = 'released' | 'not_owner' | 'unreachable';

/** A held lock: renews itself until released or lost; `signal` aborts when it is lost. */
export class Lease {
  /** The locked resource. */
  readonly resource: string;
  /** Random token proving ownership. */
  readonly token: string;
  /** Fencing token of this acquisition (strictly increasing per resource). */
  readonly fence: number;
  /** Aborted (with a DTQ_ERR_LOCK_LOST reason string) when the lease is lost. */
  readonly signal: AbortSignal;
  readonly #redis: RedisClient;
  readonly #controller = new AbortController();
  readonly #ttlMs: number;
  readonly #onLost: ((reason: string) => void) | undefined;
  #expiresAt: number;
  #renewTimer: NodeJS.Timeout | undefined;
  #deadlineTimer: NodeJS.Timeout | undefined;
  #done = false;

  constructor(
    redis: RedisClient,
    resource: string,
    token: string,
    fence: number,
    startedAt: number,
    options: LeaseOptions,
  ) {
    this.#redis = redis;
    this.resource = resource;
    this.token = token;
    this.fence = fence;
    this.signal = this.#controller.signal;
    this.#ttlMs = options.ttlMs;
    this.#onLost = options.onLost;
    // The lease counts from before the request was sent: the local view never outlives Redis's.
    this.#expiresAt = startedAt + options.ttlMs;
    const every = Math.min(options.renewEveryMs ?? options.ttlMs / 3, (options.ttlMs * 2) / 3);
    this.#scheduleDeadline();
    this.#renewTimer = setInterval(() => void this.#renew(), every);
    this.#renewTimer.unref();
  }

  /** True once the lease is known lost. */
  get lost(): boolean {
    return this.signal.aborted;
  }

  /**
   * Stop renewing and delete the lock if still ours: `released`, `not_owner` (the lease had
   * been lost) or `unreachable` (Redis did not answer; the lease then expires after its TTL).
   */
  async release(): Promise<ReleaseOutcome> {
    this.#stop();
    try {
      return (await releaseByToken(this.#redis, this.resource, this.token)) ? 'released' : 'not_owner';
    } catch {
      return 'unreachable';
    }
  }

  /** Stop renewing without releasing: the lock then expires after its TTL (a holder gone silent). */
  abandon(): void {
    this.#stop();
  }

  async #renew(): Promise<void> {
    if (this.#done) return;
    const sentAt = Date.now();
    try {
      const extended = await extendByToken(this.#redis, this.resource, this.token, this.#ttlMs);
      if (this.#done) return;
      if (!extended) {
        this.#lose('the lock expired or was taken by another holder');
        return;
      }
      this.#expiresAt = sentAt + this.#ttlMs;
      this.#scheduleDeadline();
    } catch {
      // Keep the old deadline: if Redis stays unreachable until then, the deadline timer fires.
    }
  }

  #scheduleDeadline(): void {
    clearTimeout(this.#deadlineTimer);
    this.#deadlineTimer = setTimeout(
      () => this.#lose('no renewal reached Redis before the lease ran out'),
      Math.max(0, this.#expiresAt - Date.now()),
    );
    this.#deadlineTimer.unref();
  }

  #lose(reason: string): void {
    if (this.#done) return;
    this.#stop();
    this.#onLost?.(reason);
    this.#controller.abort(reason);
  }

  #stop(): void {
    this.#done = true;
    clearInterval(this.#renewTimer);
    clearTimeout(this.#deadlineTimer);
  }
}
