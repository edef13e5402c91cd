/** Loads a trace for the TUI and, with --follow, reloads it until the request has ended. */
import { useEffect, useState } from 'react';
import type { TraceTarget } from '../load-trace.ts';
import type { Trace } from '../model/types.ts';

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
  readonly follow?: boolean;
  readonly intervalMs?: number;
}

/** Load `target` with `load`; follow it while it is in flight when asked to. */
export function useTrace(
  load: (target: TraceTarget) => Promise<Trace>,
  target: TraceTarget,
  options: UseTraceOptions = {},
): TraceState {
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
    const run = async (first: boolean): Promise<void> => {
      if (!(first && options.initial)) {
        try {
          const trace = await load(target);
          if (cancelled) return;
          const following = Boolean(options.follow && trace.inFlight);
          setState({ trace, error: undefined, loading: false, following, refreshedAt: Date.now() });
          if (!following) return;
        } catch (error) {
          if (cancelled) return;
          setState((s) => ({ ...s, error: error as Error, loading: false, following: false }));
          return;
        }
      } else if (!(options.follow && options.initial.inFlight)) return;
      timer = setTimeout(() => void run(false), options.intervalMs ?? 1000);
    };
    void run(true);
    return () => {
      cancelled = true;
      if (timer) clearTimeout(timer);
    };
  }, [key]);
  return state;
}
