/** Messages between the thread pool (main thread) and a compute thread. */
import type { ComputeRequest } from './compute.ts';

/** A task sent to a thread. */
export interface ThreadRequest extends ComputeRequest {
  id: number;
}

/** A thread's answer to one task. */
export type ThreadReply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: { name: string; message: string; code?: string } };

/** Posted once by a thread when it has loaded its modules and can take work. */
export const THREAD_READY = 'ready';
