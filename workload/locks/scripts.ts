/**
 * The lock and result-store Lua scripts, kept as named files in ./lua (BullMQ's convention:
 * `<name>-<numberOfKeys>.lua`, each opening with a header of KEYS, ARGV and result), loaded by
 * name and registered on an ioredis client with `defineCommand`, which runs them by EVALSHA
 * and falls back to EVAL after a Redis restart emptied the script cache.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { RedisClient } from '../queue/redis-client.ts';

/** Names of the scripts in ./lua. */
export const SCRIPT_NAMES = ['acquireLock', 'releaseLock', 'extendLock', 'writeResult'] as const;
/** A script name. */
export type ScriptName = (typeof SCRIPT_NAMES)[number];

/** A script read from its file. */
export interface LuaScript {
  readonly name: ScriptName;
  readonly numberOfKeys: number;
  readonly lua: string;
}

const LUA_DIR = new URL('./lua/', import.meta.url);

/** Read the script `<name>-<numberOfKeys>.lua` from ./lua. */
export function loadScript(name: ScriptName): LuaScript {
  const pattern = new RegExp(`^${name}-(\\d+)\\.lua$`);
  const file = readdirSync(LUA_DIR).find((entry) => pattern.test(entry));
  if (file === undefined) throw new Error(`Lua script ${name}-<keys>.lua is missing from ${LUA_DIR.pathname}`);
  const numberOfKeys = Number(pattern.exec(file)?.[1]);
  return { name, numberOfKeys, lua: readFileSync(new URL(file, LUA_DIR), 'utf8') };
}

const registered = new WeakSet<RedisClient>();

/** Register every script on a client (once per client). */
export function registerScripts(redis: RedisClient): void {
  if (registered.has(redis)) return;
  for (const name of SCRIPT_NAMES) {
    const script = loadScript(name);
    redis.defineCommand(name, { numberOfKeys: script.numberOfKeys, lua: script.lua });
  }
  registered.add(redis);
}

type ScriptCommand = (...args: (string | number)[]) => Promise<unknown>;

/** Run a registered script with its keys and arguments. */
export function runScript(
  redis: RedisClient,
  name: ScriptName,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  registerScripts(redis);
  const command = (redis as unknown as Record<ScriptName, ScriptCommand>)[name];
  return command.call(redis, ...keys, ...args);
}
