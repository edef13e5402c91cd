/**
 * Step 1, select: the lines that belong to the trace, one stream per process in written
 * order, each line once. Sources may over-fetch (a substring match in a file, a broad query)
 * and reach the same line through two joins; this step keeps what belongs and drops repeats.
 */
import { F } from '../../../contract/vocabulary.ts';
import { str } from '../fields.ts';
import { compareText, type WorkLine, writtenOrder } from '../lines.ts';

/** Whether a line belongs to the trace of `cid`, whose tasks are `taskIds`. */
export function belongs(line: WorkLine, cid: string, taskIds: ReadonlySet<string>): boolean {
  if (line.correlationId === cid) return true;
  if (line.taskId !== undefined && taskIds.has(line.taskId)) return true;
  if (line.polled !== undefined && taskIds.has(line.polled)) return true;
  if (!line.isDuplicate) return false;
  const originalTask = str(line.record, F.ORIGINAL_TASK_ID);
  return (
    str(line.record, F.ORIGINAL_CORRELATION_ID) === cid || (originalTask !== undefined && taskIds.has(originalTask))
  );
}

/**
 * The lines of `cid`'s trace as per-process streams: streams in instance-name order (so ties
 * between processes never depend on the input), each in written order without repeats.
 */
export function selectLines(lines: readonly WorkLine[], cid: string, taskIds: ReadonlySet<string>): WorkLine[][] {
  const byInstance = new Map<string, WorkLine[]>();
  lines.forEach((line) => {
    if (!belongs(line, cid, taskIds)) return;
    const stream = byInstance.get(line.instance);
    if (stream === undefined) byInstance.set(line.instance, [line]);
    else stream.push(line);
  });
  return [...byInstance.keys()]
    .sort(compareText)
    .map((instance) => withoutRepeats((byInstance.get(instance) ?? []).sort(writtenOrder)));
}

/** A sorted stream without repeats: a repeat (same source) sorts next to its twin. */
function withoutRepeats(sorted: readonly WorkLine[]): WorkLine[] {
  return sorted.filter((line, i) => line.source !== sorted[i - 1]?.source);
}
