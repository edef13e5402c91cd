/**
 * Waiting for a child of the stack to be ready. Where the child announces it (a worker's
 * `service.started` line on its stdout) the wait is that event; where nothing announces it
 * (redis-server answering PING, an API's /ready, nginx passing /ready on) a probe is asked
 * every `intervalMs` until it says yes. Either way the wait ends early, with the child's last
 * lines, if the child exits, and with DTQ_ERR_STACK_NOT_READY at the deadline or when the
 * stack gives up the start.
 */
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { dtqError } from '../../contract/dtq-error.ts';
import { printable } from '../../contract/terminal-text.ts';
import { STACK_ERRORS } from './errors.ts';
import { describeExit, type ExitInfo, type SupervisedChild } from './supervisor.ts';

/** How to wait. */
export interface WaitOptions {
  /** Give up after this long. */
  readonly timeoutMs: number;
  /** Give up when this aborts (the stack is stopping). */
  readonly abandon: AbortSignal;
  /** Asked until it answers true; a probe that throws counts as "not yet". */
  readonly probe?: () => Promise<boolean>;
  /** Resolves when the child says it is ready; must end its wait when `signal` aborts. */
  readonly announced?: (signal: AbortSignal) => Promise<unknown>;
  /** Pause between probes. Default 100 ms. */
  readonly intervalMs?: number;
}

/** Resolve once `child` is ready (by `announced` or `probe`); throws CHILD_EXITED or NOT_READY. */
export async function waitUntilReady(what: string, child: SupervisedChild, options: WaitOptions): Promise<void> {
  const { timeoutMs, abandon, probe, announced, intervalMs = 100 } = options;
  const finished = new AbortController();
  const signal = AbortSignal.any([abandon, AbortSignal.timeout(timeoutMs), finished.signal]);
  const ended = signal.aborted
    ? Promise.resolve({ ended: true as const })
    : once(signal, 'abort').then(() => ({ ended: true as const }));
  const exited = child.exited.then((exit) => ({ exit }));
  const probing = async (): Promise<void> => {
    if (!probe) return new Promise(() => {});
    while (!(await probe().catch(() => false))) await sleep(intervalMs, undefined, { signal });
  };
  const ready = Promise.race([probing(), announced?.(signal) ?? new Promise(() => {})]).then(() => ({
    ready: true as const,
  }));
  try {
    const outcome: { ready: true } | { exit: ExitInfo } | { ended: true } = await Promise.race([
      // The probe's pause and the announcement reject when `signal` aborts: the wait has ended.
      ready.catch(() => ({ ended: true as const })),
      exited,
      ended,
    ]);
    if ('ready' in outcome) return;
    if ('exit' in outcome) {
      throw dtqError(STACK_ERRORS.CHILD_EXITED, {
        name: child.spec.name,
        reason: describeExit(outcome.exit),
        // The child's lines can carry logged client values; the message reaches a terminal.
        tail:
          child
            .tail()
            .slice(-15)
            .map((line) => printable(line))
            .join('\n') || '(no output)',
      });
    }
    const abandoned = abandon.aborted ? ' (start abandoned)' : '';
    throw dtqError(STACK_ERRORS.NOT_READY, { what: `${what}${abandoned}`, timeoutMs });
  } finally {
    // Ends the probe loop and removes the announcement's listener, whoever won.
    finished.abort();
  }
}
