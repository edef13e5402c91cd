/**
 * Colours of the TUI in one place, and the NO_COLOR switch (https://no-color.org): with it,
 * every colour is dropped and selection falls back to inverse video, which is not a colour.
 */

/** Colour names as Ink's <Text color> takes them, or undefined for "none". */
export interface Theme {
  readonly error: string | undefined;
  readonly duplicate: string | undefined;
  readonly gap: string | undefined;
  readonly ok: string | undefined;
  readonly dim: boolean;
  readonly accent: string | undefined;
  readonly bar: string | undefined;
}

/** The colour theme. */
export const COLOR_THEME: Theme = {
  error: 'red',
  duplicate: 'yellow',
  gap: 'magenta',
  ok: 'green',
  dim: true,
  accent: 'cyan',
  bar: 'blue',
};

/** No colour at all. */
export const NO_COLOR_THEME: Theme = {
  error: undefined,
  duplicate: undefined,
  gap: undefined,
  ok: undefined,
  dim: false,
  accent: undefined,
  bar: undefined,
};

/** NO_COLOR set to any non-empty value turns colour off. */
export function wantsNoColor(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.NO_COLOR !== undefined && env.NO_COLOR !== '';
}
