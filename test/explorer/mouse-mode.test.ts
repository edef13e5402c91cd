import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { enableMouse, MOUSE_OFF, MOUSE_ON } from '../../explorer/output/mouse-mode.ts';

function fakeTerminal() {
  const written: string[] = [];
  return { written, write: (text: string) => written.push(text) };
}

describe('mouse reporting', () => {
  it('is turned on at once and off once, however often the restore is called', () => {
    const terminal = fakeTerminal();
    const host = new EventEmitter();
    const restore = enableMouse(terminal, host as unknown as NodeJS.Process);
    expect(terminal.written).toEqual([MOUSE_ON]);
    restore();
    restore();
    expect(terminal.written).toEqual([MOUSE_ON, MOUSE_OFF]);
    expect(host.listenerCount('exit')).toBe(0);
  });

  it('is turned off when the process exits without the TUI restoring it', () => {
    const terminal = fakeTerminal();
    const host = new EventEmitter();
    enableMouse(terminal, host as unknown as NodeJS.Process);
    host.emit('exit', 130);
    expect(terminal.written).toEqual([MOUSE_ON, MOUSE_OFF]);
  });

  it('asks for presses and the wheel in the SGR encoding and undoes both', () => {
    expect(MOUSE_ON).toBe('\u001b[?1000h\u001b[?1006h');
    expect(MOUSE_OFF).toBe('\u001b[?1006l\u001b[?1000l');
  });
});
