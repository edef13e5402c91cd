/**
 * Observe the commands Redis executes (MONITOR): a test waits for proof that a process reached a
 * point, e.g. a worker polling its release key is inside its injected pause, instead of sleeping
 * and hoping it has by now.
 *
 * A raw socket rather than ioredis's monitor(): ioredis can take another client's command echoed
 * during its ready check for a reply and fail ("Command queue state error").
 */
import { connect } from 'node:net';
import { waitFor } from './wait.ts';

/** One command as Redis executed it. */
export interface MonitoredCommand {
  /** Command name and arguments, as strings (name lower-cased). */
  readonly args: readonly string[];
  /** The client's address, `ip:port`, or `lua` for a command a script ran. */
  readonly source: string;
}

/** The commands seen since {@link monitorRedis} returned. */
export interface RedisMonitor {
  /** Every command seen so far, oldest first. */
  readonly seen: readonly MonitoredCommand[];
  /** The first command seen that matches, waiting for it (then throwing, naming `what`). */
  waitForCommand(
    what: string,
    match: (command: MonitoredCommand) => boolean,
    timeoutMs?: number,
  ): Promise<MonitoredCommand>;
  close(): Promise<void>;
}

const ESCAPES: Readonly<Record<string, string>> = { n: '\n', r: '\r', t: '\t', a: '\x07', b: '\b' };

/**
 * One MONITOR line (`+1700000000.123456 [0 127.0.0.1:5555] "get" "key"`) as a command, or
 * undefined for anything else. Arguments are quoted with `\"`, `\\`, `\n`… and `\xNN` escapes.
 */
export function parseMonitorLine(line: string): MonitoredCommand | undefined {
  const head = /^\+[\d.]+ \[\d+ ([^\]]+)\] /.exec(line);
  if (!head) return undefined;
  const args: string[] = [];
  let i = head[0].length;
  while (i < line.length) {
    if (line[i] !== '"') return undefined;
    let arg = '';
    for (i++; i < line.length && line[i] !== '"'; i++) {
      if (line[i] !== '\\') {
        arg += line[i];
        continue;
      }
      const next = line[++i] ?? '';
      if (next === 'x') {
        arg += String.fromCharCode(Number.parseInt(line.slice(i + 1, i + 3), 16));
        i += 2;
      } else arg += ESCAPES[next] ?? next;
    }
    args.push(arg);
    i += 2; // the closing quote and the space after it
  }
  const [name = '', ...rest] = args;
  return { args: [name.toLowerCase(), ...rest], source: head[1] as string };
}

/** Start monitoring the Redis at `url`; every command executed after this resolves is recorded. */
export async function monitorRedis(url: string): Promise<RedisMonitor> {
  const target = new URL(url);
  const socket = connect(Number(target.port || 6379), target.hostname);
  const seen: MonitoredCommand[] = [];
  let buffered = '';
  const started = new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.on('data', (chunk) => {
      buffered += chunk.toString('latin1');
      const lines = buffered.split('\r\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (line === '+OK') resolve();
        const command = parseMonitorLine(line);
        if (command) seen.push(command);
      }
    });
  });
  socket.write('MONITOR\r\n');
  await started;
  socket.on('error', () => {});
  return {
    seen,
    waitForCommand: (what, match, timeoutMs = 30_000) =>
      waitFor(what, () => seen.find(match), { timeoutMs, intervalMs: 20 }),
    close: async () => {
      socket.destroy();
    },
  };
}
