/**
 * The TUI: a stack of screens (request list → trace → original's trace …); Esc pops.
 * Traces already loaded are cached so going back does not query again.
 */
import { useApp } from 'ink';
import { useCallback, useRef, useState } from 'react';
import { useScreenSize } from '../hooks/use-screen-size.ts';
import type { TraceTarget } from '../load-trace.ts';
import type { RequestSummary } from '../model/request-list.ts';
import type { Trace } from '../model/types.ts';
import { COLOR_THEME, NO_COLOR_THEME } from '../theme.ts';
import { ListScreen } from './ListScreen.tsx';
import { TraceScreen } from './TraceScreen.tsx';

type Entry =
  | { kind: 'list'; selected?: number }
  | { kind: 'trace'; target: TraceTarget; selected?: number; focusKey?: string | undefined };

/** Props of {@link App}. */
export interface AppProps {
  /** Start on this trace; without it, start on the list of recent requests. */
  readonly target?: TraceTarget | undefined;
  readonly initialTrace?: Trace | undefined;
  readonly initialList?: readonly RequestSummary[] | undefined;
  readonly loadTrace: (target: TraceTarget) => Promise<Trace>;
  readonly loadList: () => Promise<readonly RequestSummary[]>;
  readonly listTitle?: string;
  readonly follow?: boolean;
  readonly noColor?: boolean;
  /** Fixed screen size (tests); default: the terminal's. */
  readonly size?: { columns?: number; rows?: number } | undefined;
  /** Called instead of Ink's exit, when given (tests). */
  readonly onExit?: () => void;
}

function keyOf(target: TraceTarget): string {
  return 'taskId' in target ? `task:${target.taskId}` : `cid:${target.correlationId}`;
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
  const cache = useRef(new Map<string, Trace>());
  if (props.target && props.initialTrace && !cache.current.has(keyOf(props.target)))
    cache.current.set(keyOf(props.target), props.initialTrace);

  const quit = useCallback(() => {
    if (props.onExit) props.onExit();
    else exit();
  }, [exit, props.onExit]);
  const push = (entry: Entry, from: { selected: number }): void =>
    setStack((s) => [...s.slice(0, -1), { ...(s.at(-1) as Entry), selected: from.selected }, entry]);
  const pop = (): void => setStack((s) => (s.length > 1 ? s.slice(0, -1) : s));
  const load = useCallback(
    async (target: TraceTarget) => {
      const trace = await props.loadTrace(target);
      cache.current.set(keyOf(target), trace);
      return trace;
    },
    [props.loadTrace],
  );

  const top = stack.at(-1) as Entry;
  if (top.kind === 'list') {
    return (
      <ListScreen
        key={`list:${stack.length}`}
        load={props.loadList}
        initial={props.initialList}
        title={props.listTitle ?? ''}
        columns={size.columns}
        rows={rows}
        theme={theme}
        initialSelected={top.selected}
        onOpen={(correlationId, from) => push({ kind: 'trace', target: { correlationId } }, from)}
        onQuit={quit}
      />
    );
  }
  const cached = cache.current.get(keyOf(top.target));
  return (
    <TraceScreen
      key={`${keyOf(top.target)}:${stack.length}`}
      target={top.target}
      load={load}
      initial={cached}
      follow={Boolean(props.follow)}
      columns={size.columns}
      rows={rows}
      theme={theme}
      canGoBack={stack.length > 1}
      initialSelected={top.selected}
      onBack={pop}
      onQuit={quit}
      focusKey={top.focusKey}
      onOpen={(target, from, focusKey) => push({ kind: 'trace', target, focusKey }, from)}
    />
  );
}
