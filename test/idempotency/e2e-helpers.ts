/** Shared pieces of the idempotency end-to-end tests against real API processes. */
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { PRIORITIES } from '../../contract/vocabulary.ts';
import { queuePrefix } from '../../workload/queue/contract.ts';

/** The example request of the design notes. */
export const VAR_BODY = {
  task_type: 'calculate_var',
  data: { portfolio_data: { positions: [{ symbol: 'AAPL', quantity: 100, price: 150.0 }] } },
  priority: 'high',
};

/** One HTTP answer, body kept as bytes. */
export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Buffer;
  readonly correlationId: string;
}

/** POST /api/v1/tasks to `baseUrl` with a fresh X-Request-ID. */
export async function postTask(
  baseUrl: string,
  key: string | undefined,
  body: unknown = VAR_BODY,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const correlationId = `e2e-${randomUUID()}`;
  const response = await fetch(`${baseUrl}/api/v1/tasks`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-request-id': correlationId,
      ...(key === undefined ? {} : { 'idempotency-key': key }),
      ...headers,
    },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: Buffer.from(await response.arrayBuffer()),
    correlationId,
  };
}

/** Counts jobs in the three task queues, every state. */
export class JobCounter {
  readonly #client: Redis;
  readonly #queues: Queue[];

  constructor(redisUrl: string) {
    this.#client = new Redis(redisUrl, { maxRetriesPerRequest: null });
    this.#queues = PRIORITIES.map((p) => new Queue(p, { connection: this.#client, prefix: queuePrefix(p) }));
  }

  /** Jobs in any state, over all three queues. */
  async total(): Promise<number> {
    const counts = await Promise.all(
      this.#queues.map((q) => q.getJobCounts('waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed')),
    );
    return counts.flatMap((c) => Object.values(c)).reduce((a, b) => a + b, 0);
  }

  /** The job with this id in any queue. */
  async find(taskId: string) {
    for (const q of this.#queues) {
      const job = await q.getJob(taskId);
      if (job) return job;
    }
    return undefined;
  }

  /** Raw Redis access for record inspection. */
  get redis(): Redis {
    return this.#client;
  }

  async close(): Promise<void> {
    await Promise.all(this.#queues.map((q) => q.close()));
    this.#client.disconnect();
  }
}
