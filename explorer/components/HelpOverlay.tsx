/** The `?` screen: every key, in the terminal habits of less, lnav and k9s. */
import { Box, Text } from 'ink';
import type { Theme } from '../theme.ts';

/** Keys and what they do, shown by `?`. */
export const KEY_HELP: readonly (readonly [string, string])[] = [
  ['↑ ↓  k j', 'move'],
  ['PgUp PgDn  g G', 'page, first, last'],
  ['Enter', 'details of the row (log lines as JSON; / searches them) / open a request'],
  ['Esc', 'back'],
  ['/', 'search (list: any id, task type, worker, state); n N next and previous match'],
  ['f F', 'list: keep the rows holding a text; show every row again'],
  ['s S', 'list: sort by the next column; reverse the order'],
  ['e E', 'next and previous error'],
  ['o', 'jump to the original of a duplicate (or to the duplicate); on a group, its first'],
  ['y', 'copy the id under the cursor (OSC 52; also shown, to select)'],
  ['r', 'reload (the list reloads itself every second with --follow)'],
  ['wheel  click', 'move three rows; select a row, click it again to open it (Shift+drag selects text)'],
  ['?', 'this help'],
  ['q', 'quit'],
];

/** Props of {@link HelpOverlay}. */
export interface HelpOverlayProps {
  readonly height: number;
  readonly theme: Theme;
}

/** Help screen. */
export function HelpOverlay({ height, theme }: HelpOverlayProps) {
  return (
    <Box flexDirection="column" height={height}>
      <Text bold>dtq-explore keys</Text>
      {KEY_HELP.map(([keys, what]) => (
        <Text key={keys} wrap="truncate">
          <Text color={theme.accent}>{keys.padEnd(18)}</Text>
          {what}
        </Text>
      ))}
      <Text> </Text>
      <Text dimColor={theme.dim}>
        Markers: ⊘ duplicate blocked · ⇐ duplicate of this request · ⚠ stall · ↻ redelivered · ∅ gap · ✗ error
      </Text>
      <Text dimColor={theme.dim}>Press any key to close.</Text>
    </Box>
  );
}
