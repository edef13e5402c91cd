/**
 * Step 2, classify: which of the trace's lines tell of HTTP requests (the API's and
 * nginx's), which of its tasks' lives, and which record blocked duplicates. One pass over
 * the selected streams; a line may fall in more than one class.
 */
import type { WorkLine } from '../lines.ts';
import { writtenOrder } from '../lines.ts';

/** The trace's lines by what they tell. */
export interface ClassifiedLines {
  /** API lines of this correlation id or polling one of its tasks, one stream per process. */
  readonly apiStreams: WorkLine[][];
  /** nginx access lines of this correlation id. */
  readonly nginxLines: WorkLine[];
  /** Each task's own lines, in written order. */
  readonly taskLines: Map<string, WorkLine[]>;
  /** Lines recording a blocked duplicate. */
  readonly duplicateLines: WorkLine[];
}

/** Sort the selected streams' lines into their classes. */
export function classifyLines(
  streams: readonly (readonly WorkLine[])[],
  cid: string,
  taskIds: ReadonlySet<string>,
): ClassifiedLines {
  const apiStreams: WorkLine[][] = [];
  const nginxLines: WorkLine[] = [];
  const taskLines = new Map<string, WorkLine[]>();
  const duplicateLines: WorkLine[] = [];
  for (const stream of streams) {
    const api = stream.filter(
      (line) =>
        line.service === 'api' &&
        (line.correlationId === cid || (line.polled !== undefined && taskIds.has(line.polled))),
    );
    if (api.length > 0) apiStreams.push(api);
    stream.forEach((line) => {
      if (line.service === 'nginx' && line.correlationId === cid) nginxLines.push(line);
      if (line.isTask && line.taskId !== undefined && taskIds.has(line.taskId)) {
        const list = taskLines.get(line.taskId);
        if (list) list.push(line);
        else taskLines.set(line.taskId, [line]);
      }
      if (line.isDuplicate) duplicateLines.push(line);
    });
  }
  for (const list of taskLines.values()) list.sort(writtenOrder);
  return { apiStreams, nginxLines, taskLines, duplicateLines };
}
