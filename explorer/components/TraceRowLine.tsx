/** One waterfall row on one terminal line: time, bar to scale, indented label. */
import { Text } from 'ink';
import { formatClock } from '../model/fields.ts';
import type { Row } from '../model/types.ts';
import { clip, renderBar } from '../output/bars.ts';
import type { Theme } from '../theme.ts';

/** Width of the bar column for a screen width. */
export function barWidthFor(columns: number): number {
  return Math.max(8, Math.min(40, Math.floor(columns / 4)));
}

/** A row's label as drawn: marker, label and note (not made printable: callers clip or print it). */
export function rowLabel(row: Row): string {
  const marker = row.marker ? `${row.marker} ` : row.isError ? '✗ ' : '';
  return `${marker}${row.label}${row.note ? ` [${row.note}]` : ''}`;
}

/** Props of {@link TraceRowLine}. */
export interface TraceRowLineProps {
  readonly row: Row;
  readonly startedAt: number;
  readonly totalMs: number;
  readonly columns: number;
  readonly selected: boolean;
  readonly theme: Theme;
}

/** A row of the waterfall. */
export function TraceRowLine({ row, startedAt, totalMs, columns, selected, theme }: TraceRowLineProps) {
  const barWidth = barWidthFor(columns);
  const clock = formatClock(startedAt + row.start);
  const labelWidth = columns - 2 - clock.length - 1 - barWidth - 1;
  const label = clip(`${'  '.repeat(row.depth)}${rowLabel(row)}`, labelWidth);
  const color = row.isError
    ? theme.error
    : row.kind === 'duplicate'
      ? theme.duplicate
      : row.kind === 'gap'
        ? theme.gap
        : undefined;
  return (
    <Text inverse={selected} wrap="truncate">
      {selected ? '› ' : '  '}
      <Text dimColor={theme.dim && !selected}>{clock}</Text>{' '}
      <Text color={theme.bar}>{renderBar(row, totalMs, barWidth)}</Text>{' '}
      <Text
        color={color}
        bold={row.depth === 0 && row.kind !== 'pending'}
        dimColor={row.kind === 'pending' && theme.dim}
      >
        {label}
      </Text>
    </Text>
  );
}
