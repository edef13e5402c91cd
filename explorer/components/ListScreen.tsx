/** The start screen without an id: recent requests, newest first; Enter opens one. */

import { Box, Text, useInput } from 'ink';
import { useState } from 'react';
import { printable } from '../../contract/terminal-text.ts';
import { useRequestList } from '../hooks/use-request-list.ts';
import { useSearchPrompt } from '../hooks/use-search-prompt.ts';
import { formatClock, formatDuration } from '../model/fields.ts';
import { findNext, matchesQuery, scrollTop } from '../model/navigation.ts';
import type { RequestSummary } from '../model/request-list.ts';
import { clip } from '../output/bars.ts';
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
  readonly initialSelected?: number | undefined;
  onOpen(correlationId: string, from: { selected: number }): void;
  onQuit(): void;
}

/** One request as a table line. */
export function listLine(s: RequestSummary, columns: number): string {
  const head = `${formatClock(s.at)} ${String(s.status ?? '-').padStart(3)} ${(s.durationMs === undefined ? '-' : formatDuration(s.durationMs)).padStart(8)} ${String(s.tasks).padStart(2)}t ${String(s.duplicates).padStart(2)}d ${String(s.errors).padStart(2)}e `;
  const route = `${s.method ?? ''} ${s.route ?? ''}`.trim();
  return clip(`${head}${route.padEnd(20).slice(0, 20)} ${s.correlationId}`, columns - 2);
}

/** Request list screen. */
export function ListScreen(props: ListScreenProps) {
  const { columns, rows: height, theme } = props;
  const state = useRequestList(props.load, props.initial);
  const list = state.list ?? [];
  const [selectedRaw, setSelected] = useState(props.initialSelected ?? 0);
  const [top, setTop] = useState(0);
  const [message, setMessage] = useState<string | undefined>(undefined);
  // Enter searches forward from the selection; `search` is declared below and runs only on a key.
  const prompt = useSearchPrompt((submitted) => search(1, submitted));
  const [help, setHelp] = useState(false);
  const bodyHeight = Math.max(1, height - 3);
  const selected = Math.min(selectedRaw, Math.max(0, list.length - 1));
  const visibleTop = scrollTop(selected, list.length, bodyHeight, top);
  const move = (index: number): void => {
    if (index < 0 || index >= list.length) return;
    setSelected(index);
    setTop(scrollTop(index, list.length, bodyHeight, visibleTop));
  };
  const search = (direction: 1 | -1, q = prompt.query): void => {
    const found = findNext(list, selected, direction, (s) =>
      matchesQuery(q, s.correlationId, s.route, String(s.status ?? '')),
    );
    if (found < 0) setMessage(`no match for "${q}"`);
    else move(found);
  };

  useInput((input, key) => {
    if (help) {
      setHelp(false);
      return;
    }
    if (prompt.handleKey(input, key)) return;
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
    else if (input === 'r') state.reload();
    else if (input === 'e' || input === 'E') {
      const found = findNext(list, selected, input === 'e' ? 1 : -1, (s) => s.failed || s.errors > 0);
      if (found < 0) setMessage('no failed requests in this list');
      else move(found);
    } else if (key.return) {
      const entry = list[selected];
      if (entry) props.onOpen(entry.correlationId, { selected });
    }
  });

  const body = help ? (
    <HelpOverlay height={height - 1} theme={theme} />
  ) : (
    <Box flexDirection="column" height={height - 1}>
      <Text bold wrap="truncate">
        {clip(`Recent requests: ${state.loading ? 'loading…' : list.length} · ${props.title}`, columns)}
      </Text>
      <Text dimColor={theme.dim} wrap="truncate">
        {clip(`  ${'time (UTC)'.padEnd(12)} sta duration tasks/dups/errs route                correlation id`, columns)}
      </Text>
      {state.error ? (
        <Text color={theme.error} wrap="wrap">
          {printable(state.error.message)}
        </Text>
      ) : list.length === 0 && !state.loading ? (
        <Text>No requests in this range. Widen it with --since, or drop --service/--status.</Text>
      ) : null}
      {list.slice(visibleTop, visibleTop + bodyHeight).map((s, i) => {
        const isSelected = visibleTop + i === selected;
        return (
          <Text
            key={s.correlationId}
            inverse={isSelected}
            color={s.failed ? theme.error : s.duplicates > 0 ? theme.duplicate : undefined}
            wrap="truncate"
          >
            {isSelected ? '› ' : '  '}
            {listLine(s, columns)}
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
        searching={prompt.typing}
        message={message}
        hints="j/k move · Enter open · / search · e failed · r reload · ? help · q quit"
      />
    </Box>
  );
}
