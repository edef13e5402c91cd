/** Pure mapping from BullMQ's job states to the task statuses the API reports. */
import type { TaskStatus } from '../../contract/vocabulary.ts';

/**
 * BullMQ state → task status. A delayed job is waiting for its retry (or a scheduled start),
 * so it is still `queued`; `unknown` means the job vanished between two reads.
 */
export function taskStatusOf(state: string): TaskStatus | undefined {
  switch (state) {
    case 'waiting':
    case 'prioritized':
    case 'delayed':
    case 'waiting-children':
    case 'paused':
      return 'queued';
    case 'active':
      return 'running';
    case 'completed':
      return 'succeeded';
    case 'failed':
      return 'failed';
    default:
      return undefined;
  }
}
