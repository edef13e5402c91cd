/** Loads the fleet view's rows: once, on `r`, and every `refreshMs` while following. */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { RequestSummary } from '../model/request-list.ts';

/** The list, its error, and a reload for `r`. */
export interface RequestListState {
  readonly list: readonly RequestSummary[] | undefined;
  readonly error: Error | undefined;
  readonly loading: boolean;
  reload(): void;
}

/** Load the list once, again on reload(), and every `refreshMs` when given. */
export function useRequestList(
  load: () => Promise<readonly RequestSummary[]>,
  initial?: readonly RequestSummary[],
  refreshMs?: number,
): RequestListState {
  const [list, setList] = useState(initial);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [generation, setGeneration] = useState(initial ? 0 : 1);
  const [loading, setLoading] = useState(initial === undefined);
  const inFlight = useRef(false);
  // biome-ignore lint/correctness/useExhaustiveDependencies: reloads are driven by generation alone.
  useEffect(() => {
    if (generation === 0) return;
    let cancelled = false;
    inFlight.current = true;
    setLoading(true);
    load().then(
      (next) => {
        inFlight.current = false;
        if (cancelled) return;
        setList(next);
        setError(undefined);
        setLoading(false);
      },
      (err: Error) => {
        inFlight.current = false;
        if (cancelled) return;
        setError(err);
        setLoading(false);
      },
    );
    return () => {
      cancelled = true;
    };
  }, [generation]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  useEffect(() => {
    if (refreshMs === undefined) return;
    // A refresh waits for the one before it: a slow store is asked less often, never twice at once.
    const timer = setInterval(() => {
      if (!inFlight.current) reload();
    }, refreshMs);
    return () => clearInterval(timer);
  }, [refreshMs, reload]);
  return { list, error, loading, reload };
}
