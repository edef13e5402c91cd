/**
 * The trace of one request: header with the outcome, the waterfall rows, a status line.
 * Owns the keys of this screen; details and help replace the body without unmounting it.
 */

import { Box, Text, useInput } from 'ink';
import { useEffect, useMemo, useState } from 'react';
import { printable } from '../../contract/terminal-text.ts';
import { useMouse } from '../hooks/use-mouse.ts';
import { useSearchPrompt } from '../hooks/use-search-prompt.ts';
import { type TraceLoader, useTrace } from '../hooks/use-trace.ts';
import type { TraceTarget } from '../load-trace.ts';
import { formatClock, formatDuration } from '../model/fields.ts';
import { growWithClock } from '../model/live-rows.ts';
import { rowAt, WHEEL_ROWS } from '../model/mouse.ts';
import { findNext, matchesQuery, originalFor, scrollTop, wrapText } from '../model/navigation.ts';
import { rowId } from '../model/row-id.ts';
import { traceToRows } from '../model/rows.ts';
import type { Row, Trace } from '../model/types.ts';
import { clip } from '../output/bars.ts';
import { copyToClipboard } from '../output/clipboard.ts';
import type { Theme } from '../theme.ts';
import { DetailsView, detailLines } from './DetailsView.tsx';
import { HelpOverlay } from './HelpOverlay.tsx';
import { StatusBar } from './StatusBar.tsx';
import { barWidthFor, rowLabel, TraceRowLine } from './TraceRowLine.tsx';

/** Props of {@link TraceScreen}. */
export interface TraceScreenProps {
  readonly target: TraceTarget;
  readonly load: TraceLoader;
  readonly initial?: Trace | undefined;
  /** The complete trace, when `initial` is a partial one (status polls still loading). */
  readonly completion?: Promise<Trace> | undefined;
  readonly follow: boolean;
  readonly columns: number;
  readonly rows: number;
  readonly theme: Theme;
  readonly canGoBack: boolean;
  readonly initialSelected?: number | undefined;
  /** Row key to select first (the original's task after `o`). */
  readonly focusKey?: string | undefined;
  onBack(): void;
  onQuit(): void;
  onOpen(target: TraceTarget, from: { selected: number }, focusKey?: string): void;
  onLoaded?(trace: Trace): void;
  /** Called after a trace has been drawn. */
  onShown?(trace: Trace): void;
  /** Puts text on the clipboard (`y`); default: OSC 52 to the terminal. */
  copy?: ((text: string) => void) | undefined;
}

const HINTS = 'j/k move · Enter details · / search · e error · o original · y copy id · ? help · q quit';
/** Lines the selected row's label may take below the rows when it is too long for its own. */
const MAX_WRAPPED_LINES = 4;

function rowText(row: Row): string {
  // Labels, not raw lines: a parent row holds its children's lines, and matching those would
  // land every search on the parent. Full ids of an original are added since labels shorten them.
  return [row.label, row.lane, row.note, row.original?.correlationId, row.original?.taskId].join(' ');
}

/** Pick the row to start on: the focused task for --task, else the first error, else the top. */
function initialRow(rows: readonly Row[], trace: Trace, focusKey: string | undefined): number {
  if (focusKey) {
    const focused = rows.findIndex((r) => r.key === focusKey);
    if (focused >= 0) return focused;
  }
  if (trace.focusTaskId) {
    const focused = rows.findIndex((r) => r.key === `task:${trace.focusTaskId}`);
    if (focused >= 0) return focused;
  }
  return 0;
}

/** Trace screen. */
export function TraceScreen(props: TraceScreenProps) {
  const { target, load, columns, rows: height, theme } = props;
  const state = useTrace(load, target, { initial: props.initial, completion: props.completion, follow: props.follow });
  const trace = state.trace;
  // Effects run once the frame with this trace is written.
  // biome-ignore lint/correctness/useExhaustiveDependencies: reported once per trace shown; the callback is fixed.
  useEffect(() => {
    if (trace) props.onShown?.(trace);
  }, [trace]);
  const baseRows = useMemo(() => (trace ? traceToRows(trace) : []), [trace]);
  // Followed, a running attempt's bar reaches the time of the latest refresh, not its last line.
  const clock = state.following ? state.refreshedAt : undefined;
  const live = useMemo(
    () => (trace && clock !== undefined ? growWithClock(trace, baseRows, clock) : undefined),
    [trace, baseRows, clock],
  );
  const rows = live?.rows ?? baseRows;
  const [selectedRaw, setSelected] = useState<number | undefined>(props.initialSelected);
  const [top, setTop] = useState(0);
  const [message, setMessage] = useState<string | undefined>(undefined);
  // Enter searches forward from the selection; `search` is declared below and runs only on a key.
  const prompt = useSearchPrompt((submitted) => search(1, submitted));
  const [details, setDetails] = useState<{ row: Row; text: string[]; top: number; match?: number } | undefined>(
    undefined,
  );
  const [help, setHelp] = useState(false);
  // The details' text lines on screen (below their title, above the status line), and how far they scroll.
  const textHeight = Math.max(1, height - 2);
  const maxTop = details ? Math.max(0, details.text.length - textHeight) : 0;

  const selected = Math.min(
    Math.max(0, selectedRaw ?? (trace ? initialRow(rows, trace, props.focusKey) : 0)),
    Math.max(0, rows.length - 1),
  );
  const headerHeight = 4;
  // A label cut at the screen's edge (a long failure reason) is shown whole, wrapped, below the rows.
  const labelWidth = columns - 2 - 12 - 1 - barWidthFor(columns) - 1;
  const selectedRow = rows[selected];
  const fullLabel = selectedRow === undefined ? '' : printable(rowLabel(selectedRow));
  const wrapped =
    selectedRow !== undefined && [...fullLabel].length + 2 * selectedRow.depth > labelWidth
      ? wrapText(fullLabel, Math.max(10, columns - 4), MAX_WRAPPED_LINES)
      : [];
  const bodyHeight = Math.max(1, height - headerHeight - 1 - wrapped.length);
  const visibleTop = scrollTop(selected, rows.length, bodyHeight, top);

  const move = (index: number): void => {
    if (index < 0 || index >= rows.length) return;
    setSelected(index);
    setTop(scrollTop(index, rows.length, bodyHeight, visibleTop));
  };
  const search = (direction: 1 | -1, q = prompt.query): void => {
    if (!trace || q === '') return;
    if (details) {
      // In the details, a search finds a line of the JSON and scrolls it to the top.
      const from = details.match ?? details.top - (direction === 1 ? 1 : 0);
      const found = findNext(details.text, from, direction, (line) => matchesQuery(q, line));
      if (found < 0) setMessage(`no match for "${q}"`);
      else {
        setMessage(undefined);
        setDetails({ ...details, top: Math.min(maxTop, found), match: found });
      }
      return;
    }
    const found = findNext(rows, selected, direction, (row) => matchesQuery(q, rowText(row)));
    if (found < 0) setMessage(`no match for "${q}"`);
    else {
      setMessage(undefined);
      move(found);
    }
  };

  useInput((input, key) => {
    if (help) {
      setHelp(false);
      return;
    }
    if (prompt.handleKey(input, key)) return;
    if (details) {
      if (key.escape || key.return || key.leftArrow) setDetails(undefined);
      else if (input === 'q') props.onQuit();
      else if (input === '/') prompt.open();
      else if (input === 'n') search(1);
      else if (input === 'N') search(-1);
      else if (key.downArrow || input === 'j') setDetails({ ...details, top: Math.min(maxTop, details.top + 1) });
      else if (key.upArrow || input === 'k') setDetails({ ...details, top: Math.max(0, details.top - 1) });
      else if (key.pageDown || input === ' ')
        setDetails({ ...details, top: Math.min(maxTop, details.top + textHeight) });
      else if (key.pageUp) setDetails({ ...details, top: Math.max(0, details.top - textHeight) });
      return;
    }
    setMessage(undefined);
    if (input === 'q') props.onQuit();
    else if (input === '?') setHelp(true);
    else if (key.escape) {
      if (props.canGoBack) props.onBack();
    } else if (key.downArrow || input === 'j') move(selected + 1);
    else if (key.upArrow || input === 'k') move(selected - 1);
    else if (key.pageDown) move(Math.min(rows.length - 1, selected + bodyHeight));
    else if (key.pageUp) move(Math.max(0, selected - bodyHeight));
    else if (input === 'g' || key.home) move(0);
    else if (input === 'G' || key.end) move(rows.length - 1);
    else if (input === '/') prompt.open();
    else if (input === 'n') search(1);
    else if (input === 'N') search(-1);
    else if (input === 'e' || input === 'E') {
      const found = findNext(rows, selected, input === 'e' ? 1 : -1, (row) => row.isError);
      if (found < 0) setMessage('no errors in this trace');
      else move(found);
    } else if (key.return) {
      const row = rows[selected];
      if (row && trace) setDetails({ row, text: detailLines(row, trace.lines), top: 0 });
    } else if (input === 'y') {
      if (!trace) return;
      const id = rowId(rows[selected], trace);
      (props.copy ?? copyToClipboard)(id);
      setMessage(`copied ${id} (OSC 52; if your terminal does not allow it, select it here)`);
    } else if (input === 'o') {
      const original = originalFor(rows, selected);
      if (!original) setMessage('not a duplicate: nothing to jump to');
      else if (original.correlationId && original.correlationId !== trace?.correlationId)
        props.onOpen(
          { correlationId: original.correlationId },
          { selected },
          original.taskId ? `task:${original.taskId}` : undefined,
        );
      else if (original.taskId) {
        const index = rows.findIndex((r) => r.key === `task:${original.taskId}`);
        if (index >= 0) move(index);
        else props.onOpen({ taskId: original.taskId }, { selected });
      } else setMessage('the original is not named in the log line');
    }
  });

  // The wheel scrolls the details or moves the cursor; a click selects a row, a click on the
  // selected row opens its details (as Enter).
  useMouse((event) => {
    if (help || !trace) return;
    if (details) {
      if (event.kind !== 'wheel') return;
      setDetails({ ...details, top: Math.max(0, Math.min(maxTop, details.top + event.delta * WHEEL_ROWS)) });
      return;
    }
    if (rows.length === 0) return;
    if (event.kind === 'wheel') {
      move(Math.max(0, Math.min(rows.length - 1, selected + event.delta * WHEEL_ROWS)));
      return;
    }
    const index = rowAt(event.y, headerHeight, visibleTop, Math.min(bodyHeight, rows.length - visibleTop));
    if (index === undefined) return;
    const row = rows[index];
    if (index === selected && row) setDetails({ row, text: detailLines(row, trace.lines), top: 0 });
    else move(index);
  });

  if (state.error && !trace) {
    return (
      <Box flexDirection="column" height={height}>
        <Text color={theme.error} wrap="wrap">
          {printable(state.error.message)}
        </Text>
        <StatusBar columns={columns} theme={theme} hints={props.canGoBack ? 'Esc back · q quit' : 'q quit'} />
      </Box>
    );
  }
  if (!trace) {
    const id = 'taskId' in target ? `task ${target.taskId}` : target.correlationId;
    return (
      <Box flexDirection="column" height={height}>
        <Text>Loading {printable(id)}…</Text>
      </Box>
    );
  }

  const total = Math.max(1, (live?.endedAt ?? trace.endedAt) - trace.startedAt);
  const status = trace.outcome.status.toUpperCase().replace('_', ' ');
  const statusColor =
    trace.outcome.status === 'succeeded' ? theme.ok : trace.outcome.status === 'in_flight' ? theme.accent : theme.error;
  // A partial trace says first that status polls are still loading: the counts after it are final.
  const loading = trace.pending ? `loading ${trace.pending.polls.toLocaleString('en-US')} more status polls… · ` : '';
  const third = trace.outcome.divergence
    ? `⚠ ${trace.outcome.divergence}`
    : `${loading}${trace.tasks.length} task(s) · ${trace.duplicates.length} duplicate(s) · ${trace.gaps.length} gap(s) · ${trace.warnings.length} warning(s) · ${trace.lines.length} lines`;
  const followNote = state.following ? ` · following (${formatClock(state.refreshedAt ?? Date.now())})` : '';
  const barWidth = barWidthFor(columns);

  const body = help ? (
    <HelpOverlay height={height - 1} theme={theme} />
  ) : details ? (
    <DetailsView
      row={details.row}
      text={details.text}
      top={details.top}
      match={details.match}
      height={height - 1}
      columns={columns}
      theme={theme}
    />
  ) : (
    <Box flexDirection="column" height={height - 1}>
      <Text wrap="truncate">
        <Text bold>{clip(`dtq-explore ${trace.correlationId}`, columns - status.length - 3)}</Text> ·{' '}
        <Text bold color={statusColor}>
          {status}
        </Text>
      </Text>
      <Text wrap="truncate">{clip(trace.outcome.summary, columns)}</Text>
      <Text
        wrap="truncate"
        color={trace.outcome.divergence ? theme.error : undefined}
        dimColor={!trace.outcome.divergence && theme.dim}
      >
        {clip(third + followNote, columns)}
      </Text>
      <Text dimColor={theme.dim} wrap="truncate">
        {clip(`  ${'time (UTC)'.padEnd(12)} ${`0 … ${formatDuration(total)}`.padEnd(barWidth)} stage`, columns)}
      </Text>
      {rows.slice(visibleTop, visibleTop + bodyHeight).map((row, i) => (
        <TraceRowLine
          key={row.key}
          row={row}
          startedAt={trace.startedAt}
          totalMs={total}
          columns={columns}
          selected={visibleTop + i === selected}
          theme={theme}
        />
      ))}
      <Box flexGrow={1} />
      {wrapped.map((line, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: the lines of one label, in order.
        <Text key={i} wrap="truncate" color={selectedRow?.isError ? theme.error : undefined}>
          {clip(`${i === 0 ? '» ' : '  '}${line}`, columns)}
        </Text>
      ))}
    </Box>
  );
  const hints = details ? 'j/k scroll · PgUp/PgDn page · / search · n/N next/prev · Esc back · q quit' : HINTS;
  return (
    <Box flexDirection="column" height={height}>
      {body}
      <StatusBar columns={columns} theme={theme} searching={prompt.typing} message={message} hints={hints} />
    </Box>
  );
}
