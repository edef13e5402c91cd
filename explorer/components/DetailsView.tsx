/** The selected row's log lines as coloured pretty JSON, scrollable and searchable, ids left whole for copying. */
import { Box, Text } from 'ink';
import type { Row, TraceLine } from '../model/types.ts';
import { clip } from '../output/bars.ts';
import { type JsonTokenKind, jsonTokens } from '../output/json-tokens.ts';
import type { Theme } from '../theme.ts';

/** The text lines a details view shows for a row. */
export function detailLines(row: Row, lines: readonly TraceLine[]): string[] {
  const out: string[] = [];
  if (row.lineIds.length === 0) out.push('(this stage is derived from other rows; it has no log line of its own)');
  for (const id of row.lineIds) {
    const line = lines[id];
    if (!line) continue;
    const shift = line.at - line.writtenAt;
    out.push(
      `── ${line.source}${shift !== 0 ? `  (shown ${shift > 0 ? '+' : ''}${shift} ms: clock skew corrected)` : ''}`,
    );
    out.push(...JSON.stringify(line.record, null, 2).split('\n'));
  }
  return out;
}

/** Props of {@link DetailsView}. */
export interface DetailsViewProps {
  readonly row: Row;
  readonly text: readonly string[];
  readonly top: number;
  readonly height: number;
  readonly columns: number;
  readonly theme: Theme;
  /** The line the latest search landed on, shown in inverse video. */
  readonly match?: number | undefined;
}

function tokenColor(kind: JsonTokenKind, theme: Theme): string | undefined {
  if (kind === 'key') return theme.accent;
  if (kind === 'string') return theme.ok;
  if (kind === 'number') return theme.duplicate;
  if (kind === 'literal') return theme.gap;
  return undefined;
}

/** Details of a row. */
export function DetailsView({ row, text, top, height, columns, theme, match }: DetailsViewProps) {
  const bodyHeight = Math.max(1, height - 1);
  const visible = text.slice(top, top + bodyHeight);
  return (
    <Box flexDirection="column" height={height}>
      <Text bold color={theme.accent} wrap="truncate">
        {clip(
          `${row.label} · ${row.lineIds.length} line(s) · ${top + 1}-${Math.min(text.length, top + bodyHeight)} of ${text.length}`,
          columns,
        )}
      </Text>
      {visible.map((line, i) => {
        const shown = clip(line, columns);
        return (
          // biome-ignore lint/suspicious/noArrayIndexKey: lines are positional text.
          <Text key={i} wrap="truncate" inverse={top + i === match}>
            {shown.startsWith('── ') ? (
              <Text dimColor={theme.dim}>{shown}</Text>
            ) : (
              jsonTokens(shown).map((token, j) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: the pieces of one line, in order.
                <Text key={j} color={tokenColor(token.kind, theme)}>
                  {token.text}
                </Text>
              ))
            )}
          </Text>
        );
      })}
    </Box>
  );
}
