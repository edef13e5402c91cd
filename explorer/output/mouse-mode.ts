/**
 * Turns the terminal's mouse reporting on for the TUI and off again, whatever way the process
 * leaves: a terminal left reporting prints escape codes at the shell prompt on every click.
 */
import { writeSync } from 'node:fs';

/** Report presses, releases and the wheel (1000) in the SGR encoding (1006), which has no 223-column limit. */
export const MOUSE_ON = '\u001b[?1000h\u001b[?1006h';
/** Undo {@link MOUSE_ON}, in reverse order. */
export const MOUSE_OFF = '\u001b[?1006l\u001b[?1000l';

/** Where the sequences go: a terminal stream, with its file descriptor when it has one. */
export interface MouseTerminal {
  write(text: string): unknown;
  readonly fd?: number;
}

/**
 * Enable mouse reporting on `terminal`; the returned function disables it (once, however often
 * it is called). Until then, the process's `exit` writes the reset synchronously, so a crash
 * or a `process.exit()` past the TUI's own exit leaves the terminal as it was.
 */
export function enableMouse(terminal: MouseTerminal, host: Pick<NodeJS.Process, 'on' | 'off'> = process): () => void {
  let on = true;
  const onExit = (): void => {
    if (!on) return;
    on = false;
    try {
      if (terminal.fd === undefined) terminal.write(MOUSE_OFF);
      else writeSync(terminal.fd, MOUSE_OFF);
    } catch {
      // The terminal is gone: nothing left to restore.
    }
  };
  host.on('exit', onExit);
  terminal.write(MOUSE_ON);
  return () => {
    host.off('exit', onExit);
    if (!on) return;
    on = false;
    terminal.write(MOUSE_OFF);
  };
}
