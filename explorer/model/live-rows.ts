/**
 * A trace in flight, drawn against the clock: the attempts running now, and their tasks, end
 * at `now` instead of at the newest line, so a job that has run 12 s shows a 12 s bar while
 * its worker writes nothing. Pure; the trace itself is left as the lines tell it.
 */
import type { Row, Trace } from './types.ts';

/** The rows and the end of the time axis of `trace` at `now`. */
export function growWithClock(trace: Trace, rows: readonly Row[], now: number): { rows: Row[]; endedAt: number } {
  if (!trace.inFlight || now <= trace.endedAt) return { rows: [...rows], endedAt: trace.endedAt };
  const offset = now - trace.startedAt;
  const growing = new Set<string>();
  for (const task of trace.tasks)
    task.attempts.forEach((attempt, i) => {
      if (attempt.result !== 'running') return;
      growing.add(`attempt:${task.taskId}:${i}`);
      growing.add(`task:${task.taskId}`);
    });
  if (growing.size === 0) return { rows: [...rows], endedAt: trace.endedAt };
  return {
    rows: rows.map((row) => (growing.has(row.key) ? { ...row, end: Math.max(row.end, offset) } : row)),
    endedAt: now,
  };
}
