/**
 * Observe the commands Redis executes (MONITOR): a test waits for proof that a process reached a
 * point, e.g. a worker polling its release key is inside its injected pause, instead of sleeping
 * and hoping it has by now.
 */
import { Redis } from 'ioredis';
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
  /** The first command seen that matches, waiting for it (then throwing, naming `what`). */
  waitForCommand(
    what: string,
    match: (command: MonitoredCommand) => boolean,
    timeoutMs?: number,
  ): Promise<MonitoredCommand>;
  close(): Promise<void>;
}

/** Start monitoring the Redis at `url`; every command executed after this resolves is recorded. */
export async function monitorRedis(url: string): Promise<RedisMonitor> {
  const client = new Redis(url, { lazyConnect: true });
  const monitor = await client.monitor();
  const seen: MonitoredCommand[] = [];
  monitor.on('monitor', (_time: string, args: unknown[], source: string) => {
    const [name = '', ...rest] = args.map(String);
    seen.push({ args: [name.toLowerCase(), ...rest], source });
  });
  return {
    waitForCommand: (what, match, timeoutMs = 30_000) =>
      waitFor(what, () => seen.find(match), { timeoutMs, intervalMs: 20 }),
    close: async () => {
      monitor.disconnect();
      client.disconnect();
    },
  };
}
