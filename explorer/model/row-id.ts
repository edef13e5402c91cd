/** The id `y` copies from a trace row: what the row is about, in full. */
import { F } from '../../contract/vocabulary.ts';
import { str } from './fields.ts';
import type { Row, Trace } from './types.ts';

/**
 * The original's request (else task) for a duplicate row; the task of a row about a task
 * (its lines name it); else the trace's correlation id.
 */
export function rowId(row: Row | undefined, trace: Trace): string {
  if (row?.original !== undefined) return row.original.correlationId ?? row.original.taskId ?? trace.correlationId;
  for (const id of row?.lineIds ?? []) {
    const record = trace.lines[id]?.record;
    const taskId = record === undefined ? undefined : str(record, F.TASK_ID);
    if (taskId !== undefined && row?.kind !== 'request' && row?.kind !== 'nginx' && row?.kind !== 'api') return taskId;
  }
  return trace.correlationId;
}
