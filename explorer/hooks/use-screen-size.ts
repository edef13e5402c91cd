/** The terminal size, or a fixed size when given (tests, and --width/--height). */
import { useWindowSize } from 'ink';

/** Columns and rows to lay the screen out in. */
export interface ScreenSize {
  readonly columns: number;
  readonly rows: number;
}

/** The size to render at: the override when set, else the live terminal size. */
export function useScreenSize(override?: Partial<ScreenSize>): ScreenSize {
  const live = useWindowSize();
  return {
    columns: override?.columns ?? (live.columns || 80),
    rows: override?.rows ?? (live.rows || 24),
  };
}
