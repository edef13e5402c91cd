/** The bottom line: the search prompt while typing, else a message or the key hints. */
import { Text } from 'ink';
import { clip } from '../output/bars.ts';
import type { Theme } from '../theme.ts';

/** Props of {@link StatusBar}. */
export interface StatusBarProps {
  readonly columns: number;
  readonly theme: Theme;
  /** The query being typed after `/`, when in search mode. */
  readonly searching?: string | undefined;
  /** What the prompt line starts with (default `/`). */
  readonly prompt?: string | undefined;
  readonly message?: string | undefined;
  readonly hints: string;
}

/** Status line. */
export function StatusBar({ columns, theme, searching, prompt = '/', message, hints }: StatusBarProps) {
  if (searching !== undefined) return <Text wrap="truncate">{clip(`${prompt}${searching}█`, columns)}</Text>;
  if (message)
    return (
      <Text color={theme.accent} wrap="truncate">
        {clip(message, columns)}
      </Text>
    );
  return (
    <Text dimColor={theme.dim} wrap="truncate">
      {clip(hints, columns)}
    </Text>
  );
}
