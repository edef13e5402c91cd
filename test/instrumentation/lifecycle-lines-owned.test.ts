import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EVENTS } from '../../contract/vocabulary.ts';

// The lines the Node instrumentation writes (instrumentation/fastify.ts, bullmq.ts): the
// bundled workload must log them through it, so a line's shape exists once. Reading these
// events (the load generator counts task.started lines) is fine; writing them is not.
const ROOT = resolve(import.meta.dirname, '../..');
const OWNED = [
  'HTTP_REQUEST_RECEIVED',
  'HTTP_REQUEST_COMPLETED',
  'TASK_ENQUEUED',
  'TASK_STARTED',
  'TASK_COMPLETED',
  'TASK_FAILED',
  'TASK_RETRY_SCHEDULED',
  'TASK_STALLED',
  'TASK_DEAD_LETTERED',
] as const satisfies readonly (keyof typeof EVENTS)[];

const NAMES = OWNED.join('|');
const VALUES = OWNED.map((name) => EVENTS[name].replace(/\./g, '\\.')).join('|');
/** A mention of an owned event: the vocabulary constant or its value as a string literal. */
const MENTION = new RegExp(`EVENTS\\.(?:${NAMES})\\b|['"\`](?:${VALUES})['"\`]`, 'g');
/** Where a line is written: a logEvent call, a JobLog's event(), or an event.action key. */
const WRITER = /(?:\blogEvent|\.event)\s*\(/g;
const ACTION_KEY = /(?:\[F\.EVENT_ACTION\]|['"]event\.action['"])\s*:\s*$/;

/** Mentions of owned events that write a line: inside a writer call's arguments, or as an event.action value. */
function handWrittenLines(source: string): string[] {
  const found: string[] = [];
  for (const mention of source.matchAll(MENTION)) {
    const at = mention.index;
    const before = source.slice(Math.max(0, at - 400), at);
    if (ACTION_KEY.test(before)) {
      found.push(mention[0]);
      continue;
    }
    // The last writer call opened before the mention, if its parentheses are still open there.
    const calls = [...before.matchAll(WRITER)];
    const call = calls.at(-1);
    if (call === undefined) continue;
    let depth = 0;
    for (const char of before.slice(call.index + call[0].length - 1)) {
      if (char === '(') depth++;
      else if (char === ')') depth--;
    }
    if (depth > 0) found.push(mention[0]);
  }
  return found;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

describe('the lifecycle lines the Node instrumentation owns', () => {
  it('are written nowhere in workload/ but through instrumentation/', () => {
    const offenders = sourceFiles(join(ROOT, 'workload')).flatMap((file) =>
      handWrittenLines(readFileSync(file, 'utf8')).map((mention) => `${relative(ROOT, file)}: ${mention}`),
    );
    expect(offenders).toEqual([]);
  });

  it('are written by instrumentation/, so the scan looks for what is really there', () => {
    const written = ['fastify.ts', 'bullmq.ts'].flatMap((file) =>
      handWrittenLines(readFileSync(join(ROOT, 'instrumentation', file), 'utf8')),
    );
    expect(new Set(written)).toEqual(new Set(OWNED.map((name) => `EVENTS.${name}`)));
  });

  it.each([
    ["logEvent(log, 'info', EVENTS.TASK_ENQUEUED, {}, 'x')", 'EVENTS.TASK_ENQUEUED'],
    ["log.event(\n  'warn',\n  EVENTS.TASK_FAILED,\n  { [F.TASK_ATTEMPT]: f(1) },\n  'x',\n)", 'EVENTS.TASK_FAILED'],
    ["logger.warn({ [F.EVENT_ACTION]: EVENTS.TASK_STALLED }, 'x')", 'EVENTS.TASK_STALLED'],
    ["logger.info({ 'event.action': 'http.request.completed' }, 'x')", "'http.request.completed'"],
    ["logEvent(log, 'info', 'task.started', {}, 'x')", "'task.started'"],
  ])('finds a hand-written line in %j', (source, mention) => {
    expect(handWrittenLines(source)).toEqual([mention]);
  });

  it.each([
    'if (action === EVENTS.TASK_STARTED) open.add(id);',
    "logEvent(log, 'info', EVENTS.LOCK_ACQUIRED, {}, 'x'); const ends = [EVENTS.TASK_COMPLETED];",
    "const ENDS = new Set([EVENTS.TASK_COMPLETED, EVENTS.TASK_FAILED]); logEvent(log, 'info', EVENTS.X, {}, 'y')",
  ])('leaves a reading of an event alone: %j', (source) => {
    expect(handWrittenLines(source)).toEqual([]);
  });
});
