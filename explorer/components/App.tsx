/**
 * The TUI: a stack of screens (request list → trace → original's trace …); Esc pops.
 * Traces already loaded are cached so going back does not query again.
 */

import { useApp } from 'ink';
import { useCallback, useRef, useState } from 'react';
import { deferred } from '../deferred.ts';
import { useScreenSize } from '../hooks/use-screen-size.ts';
import type { TraceLoader } from '../hooks/use-trace.ts';
import type { TraceTarget } from '../load-trace.ts';
import type { ListView } from '../model/list-view.ts';
import type { QueueDepth } from '../model/queue-depth.ts';
import type { RequestSummary } from '../model/request-list.ts';
import type { Trace } from '../model/types.ts';
import { COLOR_THEME, NO_COLOR_THEME } from '../theme.ts';
import { ListScreen } from './ListScreen.tsx';
import { TraceScreen } from './TraceScreen.tsx';

type Entry =
  | { kind: 'list'; view?: ListView }
  | { kind: 'trace'; target: TraceTarget; selected?: number; focusKey?: string | undefined };

/** Props of {@link App}. */
export interface AppProps {
  /** Start on this trace; without it, start on the list of recent requests. */
  readonly target?: TraceTarget | undefined;
  readonly initialTrace?: Trace | undefined;
  /** The complete trace, when `initialTrace` is a first, partial one (status polls still loading). */
  readonly completeTrace?: Promise<Trace> | undefined;
  readonly initialList?: readonly RequestSummary[] | undefined;
  readonly loadTrace: TraceLoader;
  readonly loadList: () => Promise<readonly RequestSummary[]>;
  /** The newest queue-depth reading of the list's source, read after each load (overview header). */
  readonly queueDepth?: (() => QueueDepth | undefined) | undefined;
  readonly listTitle?: string;
  readonly follow?: boolean;
  readonly noColor?: boolean;
  /** Fixed screen size (tests); default: the terminal's. */
  readonly size?: { columns?: number; rows?: number } | undefined;
  /** Called instead of Ink's exit, when given (tests). */
  readonly onExit?: () => void;
  /** Called once a trace has been drawn (start-up measurement). */
  readonly onTraceShown?: (trace: Trace) => void;
  /** Puts text on the clipboard (`y`); default: OSC 52 to the terminal. */
  readonly copy?: ((text: string) => void) | undefined;
}

function keyOf(target: TraceTarget): string {
  return 'taskId' in target ? `task:${target.taskId}` : `cid:${target.correlationId}`;
}

/**
 * Traces shown, by target. A partial one keeps the promise of its complete trace beside it,
 * so leaving it and coming back before the status polls arrived still ends on the whole trace.
 */
interface TraceCache {
  readonly traces: Map<string, Trace>;
  readonly completions: Map<string, Promise<Trace>>;
}

function remember(cache: TraceCache, key: string, trace: Trace, completion?: Promise<Trace>): void {
  cache.traces.set(key, trace);
  if (completion === undefined) return;
  cache.completions.set(key, completion);
  completion.then(
    (complete) => {
      cache.traces.set(key, complete);
      cache.completions.delete(key);
    },
    () => cache.completions.delete(key),
  );
}

/** The explorer app. */
export function App(props: AppProps) {
  const { exit } = useApp();
  const size = useScreenSize(props.size);
  // Ink clears the whole terminal when a frame is as tall as it; one row less avoids that flicker.
  const rows = Math.max(8, size.rows - 1);
  const theme = props.noColor ? NO_COLOR_THEME : COLOR_THEME;
  const [stack, setStack] = useState<Entry[]>(
    props.target ? [{ kind: 'trace', target: props.target }] : [{ kind: 'list' }],
  );
  const cache = useRef<TraceCache>({ traces: new Map(), completions: new Map() });
  if (props.target && props.initialTrace && !cache.current.traces.has(keyOf(props.target)))
    remember(cache.current, keyOf(props.target), props.initialTrace, props.completeTrace);

  const quit = useCallback(() => {
    if (props.onExit) props.onExit();
    else exit();
  }, [exit, props.onExit]);
  const push = (entry: Entry, from: { selected: number }): void =>
    setStack((s) => [...s.slice(0, -1), { ...(s.at(-1) as Entry), selected: from.selected }, entry]);
  const openFromList = (correlationId: string, view: ListView): void =>
    setStack((s) => [...s.slice(0, -1), { kind: 'list', view }, { kind: 'trace', target: { correlationId } }]);
  const pop = (): void => setStack((s) => (s.length > 1 ? s.slice(0, -1) : s));
  const load = useCallback<TraceLoader>(
    async (target, onFirst) => {
      const key = keyOf(target);
      const loaded = deferred<Trace>();
      loaded.promise.catch(() => undefined);
      try {
        // Without a first screen to fill (a --follow reload) there is no first step either.
        const trace = await props.loadTrace(
          target,
          onFirst &&
            ((first) => {
              remember(cache.current, key, first, loaded.promise);
              onFirst(first);
            }),
        );
        cache.current.traces.set(key, trace);
        loaded.resolve(trace);
        return trace;
      } catch (error) {
        loaded.reject(error);
        throw error;
      }
    },
    [props.loadTrace],
  );

  // The rows the list showed last: coming back from a trace shows them at once.
  const latestList = useRef(props.initialList);
  const top = stack.at(-1) as Entry;
  if (top.kind === 'list') {
    return (
      <ListScreen
        key={`list:${stack.length}`}
        load={async () => {
          const rows = await props.loadList();
          latestList.current = rows;
          return rows;
        }}
        initial={latestList.current}
        title={props.listTitle ?? ''}
        columns={size.columns}
        rows={rows}
        theme={theme}
        initialView={top.view}
        follow={props.follow}
        queueDepth={props.queueDepth}
        onOpen={openFromList}
        onQuit={quit}
        copy={props.copy}
      />
    );
  }
  const cached = cache.current.traces.get(keyOf(top.target));
  const completion = cache.current.completions.get(keyOf(top.target));
  return (
    <TraceScreen
      key={`${keyOf(top.target)}:${stack.length}`}
      target={top.target}
      load={load}
      initial={cached}
      completion={cached?.pending ? completion : undefined}
      onShown={props.onTraceShown}
      follow={Boolean(props.follow)}
      columns={size.columns}
      rows={rows}
      theme={theme}
      canGoBack={stack.length > 1}
      initialSelected={top.selected}
      onBack={pop}
      onQuit={quit}
      focusKey={top.focusKey}
      copy={props.copy}
      onOpen={(target, from, focusKey) => push({ kind: 'trace', target, focusKey }, from)}
    />
  );
}
