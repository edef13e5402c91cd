/** Mouse events from Ink's stdin: Ink drops mouse reports before `useInput`, so this reads them beside it. */
import { useStdin } from 'ink';
import { useEffect, useRef } from 'react';
import { type MouseEvent, parseMouse } from '../model/mouse.ts';

/**
 * Call `handler` for each wheel turn and left click while `active`. Listens to `data`, which a
 * stream emits for every chunk Ink reads through `readable`, so Ink's own reading is unchanged.
 */
export function useMouse(handler: (event: MouseEvent) => void, active = true): void {
  const { stdin } = useStdin();
  const latest = useRef(handler);
  latest.current = handler;
  useEffect(() => {
    if (!active) return;
    const onData = (data: Buffer | string): void => {
      for (const event of parseMouse(String(data))) latest.current(event);
    };
    stdin.on('data', onData);
    return () => {
      stdin.off('data', onData);
    };
  }, [stdin, active]);
}
