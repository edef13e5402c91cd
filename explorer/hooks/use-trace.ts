/**
 * Loads a trace for the TUI: shows a first, partial trace as soon as there is one (status
 * polls still loading), swaps in the complete trace when it arrives, and with --follow
 * reloads it until the request has ended.
 */
import { useEffect, useState } from 'react';
import type { TraceLoader, TraceTarget } from '../load-trace.ts';
import type { Trace } from '../model/types.ts';

export type { TraceLoader } from '../load-trace.ts';

/** What the trace view shows while loading, following or failing. */
export interface TraceState {
  readonly trace: Trace | undefined;
  readonly error: Error | undefined;
  readonly loading: boolean;
  /** True while --follow keeps refreshing. */
  readonly following: boolean;
  readonly refreshedAt: number | undefined;
}

/** Options of {@link useTrace}. */
export interface UseTraceOptions {
  readonly initial?: Trace | undefined;
  /** The complete trace, when `initial` is a partial one still waiting for its status polls. */
  readonly completion?: Promise<Trace> | undefined;
  readonly follow?: boolean;
  readonly intervalMs?: number;
}

/** Load `target` with `load`; follow it while it is in flight when asked to. */
export function useTrace(load: TraceLoader, target: TraceTarget, options: UseTraceOptions = {}): TraceState {
  const [state, setState] = useState<TraceState>({
    trace: options.initial,
    error: undefined,
    loading: options.initial === undefined,
    following: Boolean(options.follow && (options.initial?.inFlight ?? true)),
    refreshedAt: options.initial ? Date.now() : undefined,
  });
  const key = 'taskId' in target ? `task:${target.taskId}` : `cid:${target.correlationId}`;
  // biome-ignore lint/correctness/useExhaustiveDependencies: the target's key identifies it; load and options are fixed per view.
  useEffect(() => {
    let cancelled = false;
    let timer: NodeJS.Timeout | undefined;
    const show = (trace: Trace): boolean => {
      if (cancelled) return false;
      const following = Boolean(options.follow && trace.inFlight);
      setState({ trace, error: undefined, loading: false, following, refreshedAt: Date.now() });
      return following;
    };
    const fail = (error: unknown): void => {
      if (cancelled) return;
      setState((s) => ({ ...s, error: error as Error, loading: false, following: false }));
    };
    const run = async (trace: Promise<Trace>): Promise<void> => {
      let following: boolean;
      try {
        following = show(await trace);
      } catch (error) {
        fail(error);
        return;
      }
      if (following) timer = setTimeout(() => void run(load(target)), options.intervalMs ?? 1000);
    };
    const initial = options.initial;
    if (initial === undefined) void run(load(target, (first) => void show(first)));
    else if (initial.pending) void run(options.completion ?? load(target));
    else if (options.follow && initial.inFlight)
      timer = setTimeout(() => void run(load(target)), options.intervalMs ?? 1000);
    return () => {
      cancelled = true;
      if (timer) clearTimeout(timer);
    };
  }, [key]);
  return state;
}
