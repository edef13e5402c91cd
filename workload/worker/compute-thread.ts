/** Entry point of a compute thread: runs tasks posted by the pool, one at a time. */
import { parentPort } from 'node:worker_threads';
import { computeTask } from './compute.ts';
import { THREAD_READY, type ThreadReply, type ThreadRequest } from './thread-protocol.ts';

parentPort?.on('message', (request: ThreadRequest) => {
  let reply: ThreadReply;
  try {
    reply = { id: request.id, ok: true, result: computeTask(request) };
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    const code = (e as { code?: unknown }).code;
    reply = {
      id: request.id,
      ok: false,
      error: { name: e.name, message: e.message, ...(typeof code === 'string' ? { code } : {}) },
    };
  }
  parentPort?.postMessage(reply);
});
parentPort?.postMessage(THREAD_READY);
