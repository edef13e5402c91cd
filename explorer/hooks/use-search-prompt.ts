/**
 * The `/` search prompt shared by the list and trace screens, less-style: `/` opens it, typed
 * characters edit it, Enter submits (and remembers the query for n/N), Esc cancels.
 */
import type { Key } from 'ink';
import { useState } from 'react';

/** State and key handling of a search prompt. */
export interface SearchPrompt {
  /** The last submitted query (what n/N repeat). */
  readonly query: string;
  /** The text being typed, or undefined when the prompt is closed. */
  readonly typing: string | undefined;
  /** Open the prompt with an empty line. */
  open(): void;
  /** Handle a key while the prompt is open; false when the prompt is closed and the key is not ours. */
  handleKey(input: string, key: Key): boolean;
}

/** A search prompt that calls `onSubmit` with the query when Enter is pressed. */
export function useSearchPrompt(onSubmit: (query: string) => void): SearchPrompt {
  const [query, setQuery] = useState('');
  const [typing, setTyping] = useState<string | undefined>(undefined);
  return {
    query,
    typing,
    open: () => setTyping(''),
    handleKey: (input, key) => {
      if (typing === undefined) return false;
      if (key.escape) setTyping(undefined);
      else if (key.return) {
        setQuery(typing);
        setTyping(undefined);
        onSubmit(typing);
      } else if (key.backspace || key.delete) setTyping(typing.slice(0, -1));
      else if (input && !key.ctrl && !key.meta) setTyping(typing + input);
      return true;
    },
  };
}
