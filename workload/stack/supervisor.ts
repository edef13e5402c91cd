/**
 * A small process supervisor: spawns children in their own process groups, hands every
 * output line to a callback (the stack prefixes and pretty-prints them), remembers the last
 * lines for error messages, and stops children with SIGTERM, then SIGKILL after a deadline.
 *
 * Why own process groups: Ctrl-C in a terminal sends SIGINT to the whole foreground group;
 * children that got it directly would die in whatever order they like. Detached, only the
 * supervisor sees it and stops them in an order that loses nothing (nginx first, Redis last).
 * Why `setpriv --pdeathsig`: if the supervisor itself is killed with SIGKILL it cannot clean
 * up, so the kernel signals each child when its parent dies (SIGTERM unless the spec says
 * otherwise). No orphans either way, except in one narrow window: a supervisor killed between
 * spawning a child and setpriv's prctl (about a millisecond, longer on a loaded machine) leaves
 * that child running, since the signal is armed by the child itself.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';

/** What to run, under which name. */
export interface ChildSpec {
  /** Short unique name used as the output prefix: redis, nginx, api-1, worker-2, shipper. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /**
   * Signal the kernel sends the child if the supervisor dies without stopping it (default
   * SIGTERM). SIGKILL suits a child whose graceful stop may wait on a sibling that dies too.
   */
  readonly parentDeathSignal?: NodeJS.Signals;
}

/** How a child ended. */
export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A child the supervisor started. */
export interface SupervisedChild {
  readonly spec: ChildSpec;
  readonly pid: number;
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<ExitInfo>;
  /** True until the process has exited. */
  isRunning(): boolean;
  /** The last output lines, oldest first, for error messages. */
  tail(): string[];
  /** Send a signal to the child's whole process group (nginx workers included). */
  signal(signal: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL when still alive after `timeoutMs`; resolves once it has exited. */
  stop(timeoutMs?: number): Promise<ExitInfo>;
}

/** Options of a {@link Supervisor}. */
export interface SupervisorOptions {
  /** Called with every line a child writes (stdout or stderr), without the newline. */
  onLine?: (child: ChildSpec, line: string, stream: 'stdout' | 'stderr') => void;
  /** Called when a child exits, expected or not. */
  onExit?: (child: ChildSpec, info: ExitInfo) => void;
  /** Default grace period between SIGTERM and SIGKILL. */
  stopTimeoutMs?: number;
  /** Lines kept per child for {@link SupervisedChild.tail}. */
  tailLines?: number;
}

/** Default grace period before SIGKILL: long enough for a worker to hand its jobs back. */
export const DEFAULT_STOP_TIMEOUT_MS = 10_000;

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((path) => existsSync(path));

/** Human-readable form of an exit. */
export function describeExit(info: ExitInfo): string {
  return info.signal ? `killed by ${info.signal}` : `exit code ${info.code}`;
}

/** Starts, tracks and stops child processes. */
export class Supervisor {
  readonly #options: SupervisorOptions;
  readonly #children: SupervisedChild[] = [];

  constructor(options: SupervisorOptions = {}) {
    this.#options = options;
  }

  /** Every child started so far, in start order (exited ones included). */
  children(): readonly SupervisedChild[] {
    return this.#children;
  }

  /** Start a child. Spawn failures (missing binary) surface as an exit with code 127. */
  spawn(spec: ChildSpec): SupervisedChild {
    const [command, args] = SETPRIV
      ? [SETPRIV, ['--pdeathsig', spec.parentDeathSignal ?? 'SIGTERM', '--', spec.command, ...spec.args]]
      : [spec.command, [...spec.args]];
    const child: ChildProcess = spawn(command, args, {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const lines: string[] = [];
    const keep = this.#options.tailLines ?? 40;
    const onLine = (stream: 'stdout' | 'stderr') => (line: string) => {
      lines.push(line);
      if (lines.length > keep) lines.shift();
      this.#options.onLine?.(spec, line, stream);
    };
    let outputsOpen = 0;
    const outputsClosed = new Promise<void>((resolve) => {
      for (const [stream, readable] of [
        ['stdout', child.stdout],
        ['stderr', child.stderr],
      ] as const) {
        if (!readable) continue;
        outputsOpen++;
        const rl = createInterface({ input: readable, crlfDelay: Number.POSITIVE_INFINITY });
        rl.on('line', onLine(stream));
        rl.on('close', () => {
          if (--outputsOpen === 0) resolve();
        });
      }
      if (outputsOpen === 0) resolve();
    });
    let running = true;
    const exited = new Promise<ExitInfo>((resolve) => {
      const finish = (info: ExitInfo): void => {
        if (!running) return;
        running = false;
        // Flush the last lines (often the reason it died) before reporting the exit, but do
        // not wait forever on a grandchild that inherited the pipes.
        const flushed = Promise.race([outputsClosed, new Promise((r) => setTimeout(r, 200).unref())]);
        void flushed.then(() => {
          this.#options.onExit?.(spec, info);
          resolve(info);
        });
      };
      child.once('exit', (code, signal) => finish({ code, signal }));
      child.once('error', (error) => {
        lines.push(`spawn failed: ${error.message}`);
        finish({ code: 127, signal: null });
      });
    });
    const pid = child.pid ?? -1;
    const signal = (sig: NodeJS.Signals): void => {
      if (!running || pid <= 0) return;
      try {
        process.kill(-pid, sig);
      } catch {
        try {
          child.kill(sig);
        } catch {
          // Already gone between the check and the kill.
        }
      }
    };
    const stop = async (timeoutMs = this.#options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS): Promise<ExitInfo> => {
      if (!running) return exited;
      signal('SIGTERM');
      const timer = setTimeout(() => signal('SIGKILL'), timeoutMs);
      const info = await exited;
      clearTimeout(timer);
      // The leader is gone; make sure nothing it forked (nginx workers) outlives it.
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // No such group left: the normal case.
      }
      return info;
    };
    const supervised: SupervisedChild = {
      spec,
      pid,
      exited,
      isRunning: () => running,
      tail: () => [...lines],
      signal,
      stop,
    };
    this.#children.push(supervised);
    return supervised;
  }

  /** Stop every running child at once (last started first is not needed: all get SIGTERM together). */
  async stopAll(timeoutMs?: number): Promise<void> {
    await Promise.all(this.#children.map((child) => child.stop(timeoutMs)));
  }
}
