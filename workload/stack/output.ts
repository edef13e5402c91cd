/**
 * The supervisor's foreground output: every child line prefixed with its name, JSON log lines
 * summarised on one line ('pretty'), passed through ('raw') or dropped ('none', for tests that
 * read the NDJSON files instead).
 */
import { COLOUR_PALETTE, linePrefix, PLAIN_PALETTE, rawLine, summarizeLine, wantsColour } from './pretty.ts';

/** Writes children's lines and the stack's own messages. */
export interface StackOutput {
  line(name: string, line: string, stream: 'stdout' | 'stderr'): void;
  stack(message: string, level?: 'info' | 'error'): void;
  /** True unless children's lines are dropped ('none'). */
  isShowing(): boolean;
  /** Switch how children's lines are shown from now on. */
  setMode(mode: 'pretty' | 'raw' | 'none'): void;
}

const PREFIX_WIDTH = 9;

/** An output for `mode` writing through `write`. */
export function createOutput(
  initialMode: 'pretty' | 'raw' | 'none',
  write: (text: string) => void,
  colour: boolean = wantsColour(process.stdout),
): StackOutput {
  let mode = initialMode;
  const palette = colour ? COLOUR_PALETTE : PLAIN_PALETTE;
  const indexes = new Map<string, number>();
  const prefix = (name: string): string => {
    let index = indexes.get(name);
    if (index === undefined) {
      index = indexes.size;
      indexes.set(name, index);
    }
    return linePrefix(name, PREFIX_WIDTH, index, palette);
  };
  return {
    line: (name, line) => {
      if (mode === 'none') return;
      // Nothing a client put in a logged value reaches the terminal unescaped, in either mode.
      write(`${prefix(name)}${mode === 'pretty' ? summarizeLine(line, palette) : rawLine(line)}\n`);
    },
    isShowing: () => mode !== 'none',
    setMode: (next) => {
      mode = next;
    },
    stack: (message, level = 'info') => {
      if (mode === 'none' && level === 'info') return;
      const text = `${linePrefix('stack', PREFIX_WIDTH, 99, palette)}${level === 'error' ? palette.red(message) : message}\n`;
      if (mode === 'none') process.stderr.write(text);
      else write(text);
    },
  };
}
