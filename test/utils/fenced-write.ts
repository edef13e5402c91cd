/** Fenced result writes for lock tests, one resource at a time. */
import { writeFencedResult } from '../../workload/locks/result-store.ts';
import type { RedisClient } from '../../workload/queue/redis-client.ts';

/** A writer of `{ by: taskId }` for `resource` (inputs hash `h`) under the given fence. */
export function fencedWriter(client: RedisClient, resource: string) {
  return (fence: number, taskId: string) =>
    writeFencedResult(client, {
      resource,
      inputsHash: 'h',
      fence,
      result: { by: taskId },
      taskId,
      correlationId: `C-${taskId}`,
      cacheTtlMs: 60_000,
    });
}
