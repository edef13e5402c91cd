/**
 * The supervisor's foreground output: every child line prefixed with its name, JSON log lines
 * summarised on one line ('pretty'), passed through ('raw') or dropped ('none', for tests that
 * read the NDJSON files instead).
 */
import { printable } from '../../contract/terminal-text.ts';
import { COLOUR_PALETTE, linePrefix, PLAIN_PALETTE, summarizeLine, wantsColour } from './pretty.ts';

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
      // Raw lines are JSON (control characters escaped by the writer) or a child's own text;
      // either way nothing a client put in a logged value reaches the terminal unescaped.
      write(`${prefix(name)}${mode === 'pretty' ? summarizeLine(line, palette) : printable(line)}\n`);
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
