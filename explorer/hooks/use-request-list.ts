/** Loads the list of recent requests for the TUI's start screen. */
import { useCallback, useEffect, useState } from 'react';
import type { RequestSummary } from '../model/request-list.ts';

/** The list, its error, and a reload for `r`. */
export interface RequestListState {
  readonly list: readonly RequestSummary[] | undefined;
  readonly error: Error | undefined;
  readonly loading: boolean;
  reload(): void;
}

/** Load the list once, and again on reload(). */
export function useRequestList(
  load: () => Promise<readonly RequestSummary[]>,
  initial?: readonly RequestSummary[],
): RequestListState {
  const [list, setList] = useState(initial);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [generation, setGeneration] = useState(initial ? 0 : 1);
  const [loading, setLoading] = useState(initial === undefined);
  // biome-ignore lint/correctness/useExhaustiveDependencies: reloads are driven by generation alone.
  useEffect(() => {
    if (generation === 0) return;
    let cancelled = false;
    setLoading(true);
    load().then(
      (next) => {
        if (cancelled) return;
        setList(next);
        setError(undefined);
        setLoading(false);
      },
      (err: Error) => {
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
  return { list, error, loading, reload };
}
