/**
 * Copying an id to the clipboard from a terminal: OSC 52 (xterm's "manipulate selection
 * data"), which most terminal emulators honour and tmux forwards with `set-clipboard on`. A
 * terminal that ignores it shows nothing, so the screen also prints what was copied.
 */

/** The OSC 52 sequence that puts `text` on the system clipboard. Base64 carries any byte safely. */
export function osc52(text: string): string {
  return `\u001b]52;c;${Buffer.from(text, 'utf8').toString('base64')}\u0007`;
}

/** Write the OSC 52 sequence for `text` to `out` (the terminal). */
export function copyToClipboard(text: string, out: { write(chunk: string): unknown } = process.stdout): void {
  out.write(osc52(text));
}
