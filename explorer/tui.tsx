/**
 * Starts the Ink app. Only this module (and the components it imports) pulls in Ink and
 * React, and the CLI imports it lazily, so --json and --plain never pay for them.
 */
import { render } from 'ink';
import { App, type AppProps } from './components/App.tsx';
import type { Trace } from './model/types.ts';
import { enableMouse } from './output/mouse-mode.ts';

/** Options of {@link runTui}. */
export interface RunTuiOptions extends Omit<AppProps, 'onExit' | 'size' | 'onTraceShown'> {
  /** Called once the first frame is on screen (start-up measurement). */
  readonly onFirstFrame?: () => void;
  /** Called once a frame shows a complete trace (not one still loading status polls). */
  readonly onCompleteFrame?: () => void;
  /** Leave right after the first frame (benchmarks). */
  readonly exitAfterFirstFrame?: boolean;
  /** Leave right after the first frame that shows a complete trace (benchmarks). */
  readonly exitWhenComplete?: boolean;
  /** Report the mouse wheel and clicks while the TUI runs (default on; `--no-mouse` leaves the terminal's own selection). */
  readonly mouse?: boolean;
  /** The terminal (tests); default: the process's stdin and stdout. */
  readonly terminal?: { readonly stdin: NodeJS.ReadStream; readonly stdout: NodeJS.WriteStream };
}

/** Render the app in the terminal until the user quits. */
export async function runTui(options: RunTuiOptions): Promise<void> {
  const { onFirstFrame, onCompleteFrame, exitAfterFirstFrame, exitWhenComplete, mouse, terminal, ...appProps } =
    options;
  const stdout = terminal?.stdout ?? process.stdout;
  let first = true;
  let completeShown = false;
  const onTraceShown = (trace: Trace): void => {
    if (completeShown || trace.pending) return;
    completeShown = true;
    onCompleteFrame?.();
    if (exitWhenComplete) setImmediate(() => instance.unmount());
  };
  const instance = render(<App {...appProps} onTraceShown={onTraceShown} />, {
    // The CLI chose the TUI because stdin and stdout are terminals. Ink would otherwise turn
    // itself non-interactive whenever CI is set in the environment and draw nothing until exit.
    interactive: true,
    exitOnCtrlC: true,
    alternateScreen: true,
    incrementalRendering: true,
    patchConsole: false,
    ...(terminal ? { stdin: terminal.stdin, stdout: terminal.stdout } : {}),
    onRender: () => {
      if (!first) return;
      first = false;
      onFirstFrame?.();
      if (exitAfterFirstFrame) setImmediate(() => instance.unmount());
    },
  });
  // After render: Ink has switched to the alternate screen, so the modes belong to the TUI's screen.
  const disableMouse = mouse === false ? undefined : enableMouse(stdout);
  try {
    await instance.waitUntilExit();
  } finally {
    disableMouse?.();
  }
}
