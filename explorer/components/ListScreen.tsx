/**
 * The fleet view: recent requests with their tasks, one row each; Enter opens one. The rows,
 * their order, the filter and the cursor's place come from model/list-view.ts; this component
 * only maps keys to view changes and draws the rows.
 */

import { Box, Text, useInput } from 'ink';
import { useMemo, useState } from 'react';
import { printable } from '../../contract/terminal-text.ts';
import { useMouse } from '../hooks/use-mouse.ts';
import { useRequestList } from '../hooks/use-request-list.ts';
import { useSearchPrompt } from '../hooks/use-search-prompt.ts';
import { cursorIndex, INITIAL_VIEW, type ListView, nextSort, rowMatchesText, visibleRows } from '../model/list-view.ts';
import { rowAt, WHEEL_ROWS } from '../model/mouse.ts';
import { findNext, scrollTop } from '../model/navigation.ts';
import { depthText, type QueueDepth } from '../model/queue-depth.ts';
import type { RequestSummary } from '../model/request-list.ts';
import { clip } from '../output/bars.ts';
import { copyToClipboard } from '../output/clipboard.ts';
import { columnsFor, headerLine, rateLine, rowLine, statesLine } from '../output/list-columns.ts';
import type { Theme } from '../theme.ts';
import { HelpOverlay } from './HelpOverlay.tsx';
import { StatusBar } from './StatusBar.tsx';

/** Props of {@link ListScreen}. */
export interface ListScreenProps {
  readonly load: () => Promise<readonly RequestSummary[]>;
  readonly initial?: readonly RequestSummary[] | undefined;
  readonly title: string;
  readonly columns: number;
  readonly rows: number;
  readonly theme: Theme;
  /** Sort, filter and cursor to start from (coming back from a trace). */
  readonly initialView?: ListView | undefined;
  /** Reload every second (--follow): new requests and states appear as their lines arrive. */
  readonly follow?: boolean | undefined;
  /** The newest queue-depth reading of the source, read at each render (after each load). */
  readonly queueDepth?: (() => QueueDepth | undefined) | undefined;
  onOpen(correlationId: string, view: ListView): void;
  onQuit(): void;
  /** Puts text on the clipboard (`y`); default: OSC 52 to the terminal. */
  copy?: ((text: string) => void) | undefined;
}

/** Lines above the rows: title, states, column headers. */
const HEAD_LINES = 3;
const FOLLOW_REFRESH_MS = 1000;

/** The fleet view screen. */
export function ListScreen(props: ListScreenProps) {
  const { columns, rows: height, theme } = props;
  const state = useRequestList(props.load, props.initial, props.follow ? FOLLOW_REFRESH_MS : undefined);
  const [view, setView] = useState<ListView>(props.initialView ?? INITIAL_VIEW);
  const [top, setTop] = useState(0);
  const [message, setMessage] = useState<string | undefined>(undefined);
  const [help, setHelp] = useState(false);
  const all = state.list ?? [];
  // Filtering, sorting and the overview lines run once per list, filter or order, not on every
  // key that only moves the cursor.
  const { filter, sort } = view;
  const list = useMemo(() => visibleRows(all, { ...INITIAL_VIEW, filter, sort }), [all, filter, sort]);
  const listLines = useMemo(() => ({ states: statesLine(list), rate: rateLine(list) }), [list]);
  const bodyHeight = Math.max(1, height - HEAD_LINES - 1);
  const selected = cursorIndex(list, view);
  const visibleTop = scrollTop(selected, list.length, bodyHeight, top);
  const shown = columnsFor(columns - 2, list.slice(visibleTop, visibleTop + bodyHeight));

  const move = (index: number): void => {
    if (index < 0 || index >= list.length) return;
    setView((v) => ({ ...v, selectedId: list[index]?.correlationId, selectedIndex: index }));
    setTop(scrollTop(index, list.length, bodyHeight, visibleTop));
  };
  // Enter searches forward from the selection; `search` is declared below and runs only on a key.
  const prompt = useSearchPrompt((submitted) => search(1, submitted));
  const filterPrompt = useSearchPrompt((submitted) => setView((v) => ({ ...v, filter: submitted, selectedIndex: 0 })));
  const open = (index: number): void => {
    const entry = list[index];
    if (entry) props.onOpen(entry.correlationId, { ...view, selectedId: entry.correlationId, selectedIndex: index });
  };
  const search = (direction: 1 | -1, q = prompt.query): void => {
    const found = q.trim() === '' ? -1 : findNext(list, selected, direction, (s) => rowMatchesText(s, q));
    if (found < 0) setMessage(`no match for "${q}"`);
    else move(found);
  };

  useInput((input, key) => {
    if (help) {
      setHelp(false);
      return;
    }
    if (prompt.handleKey(input, key) || filterPrompt.handleKey(input, key)) return;
    setMessage(undefined);
    if (input === 'q') props.onQuit();
    else if (input === '?') setHelp(true);
    else if (key.downArrow || input === 'j') move(selected + 1);
    else if (key.upArrow || input === 'k') move(selected - 1);
    else if (key.pageDown) move(Math.min(list.length - 1, selected + bodyHeight));
    else if (key.pageUp) move(Math.max(0, selected - bodyHeight));
    else if (input === 'g' || key.home) move(0);
    else if (input === 'G' || key.end) move(list.length - 1);
    else if (input === '/') prompt.open();
    else if (input === 'n') search(1);
    else if (input === 'N') search(-1);
    else if (input === 'f') filterPrompt.open();
    else if (input === 'F') setView((v) => ({ ...v, filter: '' }));
    else if (input === 's') setView((v) => ({ ...v, sort: nextSort(v.sort) }));
    else if (input === 'S') setView((v) => ({ ...v, sort: { ...v.sort, descending: !v.sort.descending } }));
    else if (input === 'r') state.reload();
    else if (input === 'y') {
      const entry = list[selected];
      if (entry === undefined) return;
      (props.copy ?? copyToClipboard)(entry.correlationId);
      setMessage(`copied ${entry.correlationId} (OSC 52; if your terminal does not allow it, select it here)`);
    } else if (input === 'e' || input === 'E') {
      const found = findNext(list, selected, input === 'e' ? 1 : -1, (s) => s.failed || s.errors > 0);
      if (found < 0) setMessage('no failed requests in this list');
      else move(found);
    } else if (key.return) open(selected);
  });
  // The wheel moves the cursor; a click selects a row, a click on the selected row opens it.
  useMouse((event) => {
    if (help || list.length === 0) return;
    if (event.kind === 'wheel') {
      move(Math.max(0, Math.min(list.length - 1, selected + event.delta * WHEEL_ROWS)));
      return;
    }
    // An error message above the rows may wrap: no line is known to be a row then.
    if (state.error) return;
    const index = rowAt(event.y, HEAD_LINES, visibleTop, Math.min(bodyHeight, list.length - visibleTop));
    if (index === undefined) return;
    if (index === selected) open(index);
    else move(index);
  });

  const depth = props.queueDepth?.();
  const summary = [listLines.states, depth === undefined ? undefined : `queues ${depthText(depth)}`]
    .filter(Boolean)
    .join(' · ');
  const title = [
    `Fleet: ${state.loading && state.list === undefined ? 'loading…' : `${list.length} request(s)`}`,
    view.filter === '' ? undefined : `filter "${view.filter}" (${all.length} in all)`,
    props.follow ? 'following' : undefined,
    listLines.rate,
    props.title,
  ]
    .filter(Boolean)
    .join(' · ');
  const body = help ? (
    <HelpOverlay height={height - 1} theme={theme} />
  ) : (
    <Box flexDirection="column" height={height - 1}>
      <Text bold wrap="truncate">
        {clip(title, columns)}
      </Text>
      <Text wrap="truncate">{clip(summary, columns)}</Text>
      <Text dimColor={theme.dim} wrap="truncate">
        {clip(`  ${headerLine(shown, view.sort)}`, columns)}
      </Text>
      {state.error ? (
        <Text color={theme.error} wrap="wrap">
          {printable(state.error.message)}
        </Text>
      ) : list.length === 0 && !state.loading ? (
        <Text>
          {view.filter === ''
            ? 'No requests in this range. Widen it with --since, or drop --service/--status.'
            : 'No request matches the filter: F clears it.'}
        </Text>
      ) : null}
      {list.slice(visibleTop, visibleTop + bodyHeight).map((s, i) => {
        const isSelected = visibleTop + i === selected;
        return (
          <Text
            key={s.correlationId}
            inverse={isSelected}
            color={
              s.failed
                ? theme.error
                : s.state === 'duplicate' || s.duplicates > 0
                  ? theme.duplicate
                  : s.state === 'running' || s.state === 'retrying'
                    ? theme.accent
                    : undefined
            }
            wrap="truncate"
          >
            {isSelected ? '› ' : '  '}
            {clip(rowLine(s, shown, columns - 2), columns - 2)}
          </Text>
        );
      })}
    </Box>
  );
  return (
    <Box flexDirection="column" height={height}>
      {body}
      <StatusBar
        columns={columns}
        theme={theme}
        searching={prompt.typing ?? filterPrompt.typing}
        prompt={filterPrompt.typing !== undefined ? 'filter: ' : '/'}
        message={message}
        hints="j/k move · Enter open · / search · f filter · s/S sort · e failed · y copy id · r reload · ? help · q quit"
      />
    </Box>
  );
}
