/**
 * A small stand-in for the dtq API's POST /api/v1/tasks, with the idempotency plugin, real
 * Redis and a real BullMQ queue: the handler enqueues under `request.idempotency.taskId` as the
 * real task service does. Used to test the plugin's HTTP behaviour with `inject()`; the stack
 * test covers the real API behind nginx.
 */
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { Queue } from 'bullmq';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import pino from 'pino';
import { DtqError } from '../../contract/dtq-error.ts';
import { F } from '../../contract/vocabulary.ts';
import { DEFAULT_IDEMPOTENCY_CONFIG, type IdempotencyConfig } from '../../workload/idempotency/config.ts';
import { type IdempotencyOutcome, idempotencyPlugin } from '../../workload/idempotency/plugin.ts';

/** What a test gets back. */
export interface MinimalApp {
  readonly app: FastifyInstance;
  readonly queue: Queue;
  readonly redis: Redis;
  /** Every log line written so far, parsed. */
  readonly lines: Record<string, unknown>[];
  /** Every decision outcome the plugin reported, in order. */
  readonly outcomes: IdempotencyOutcome[];
  /** Make the next handler calls answer with this status instead of 202. */
  failWith(status: number | undefined): void;
  /**
   * Hold the next handler call after it enqueued, before it answers (so before the plugin stores
   * the response), until `release`: the window a slow or dying request spends there, made to last.
   */
  holdNext(): HeldRequest;
  close(): Promise<void>;
}

/** A handler call held by {@link MinimalApp.holdNext}. */
export interface HeldRequest {
  /** Resolves once the held call has enqueued its job. */
  readonly enqueued: Promise<void>;
  release(): void;
}

/** Build the stand-in app on a Redis URL with a unique queue name. */
export async function buildMinimalApp(redisUrl: string, config: Partial<IdempotencyConfig> = {}): Promise<MinimalApp> {
  const lines: Record<string, unknown>[] = [];
  const outcomes: IdempotencyOutcome[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  const redis = new Redis(redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 5000 });
  await new Promise<void>((resolve) => redis.once('ready', () => resolve()));
  redis.on('error', () => {});
  const queue = new Queue(`test-${randomUUID()}`, { connection: { url: redisUrl }, prefix: 'dtq' });
  queue.on('error', () => {});
  let failStatus: number | undefined;
  let held: { reached: () => void; released: Promise<void> } | undefined;

  const logger: FastifyBaseLogger = pino({ messageKey: F.MESSAGE }, sink);
  const app: FastifyInstance = Fastify({
    loggerInstance: logger,
    genReqId: (req) => (typeof req.headers['x-request-id'] === 'string' ? req.headers['x-request-id'] : randomUUID()),
  });
  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    const status = error.statusCode ?? 500;
    const code = error instanceof DtqError ? error.code : 'TEST_ERR';
    return reply.code(status).send({ error: { code, message: error.message, correlation_id: request.id } });
  });
  await app.register(idempotencyPlugin, {
    redis,
    config: { ...DEFAULT_IDEMPOTENCY_CONFIG, ...config },
    onOutcome: (outcome) => outcomes.push(outcome),
  });
  app.post(
    '/api/v1/tasks',
    {
      schema: {
        body: {
          type: 'object',
          required: ['task_type', 'data'],
          properties: {
            task_type: { type: 'string', enum: ['calculate_var'] },
            data: { type: 'object' },
            priority: { type: 'string', enum: ['high', 'medium', 'low'], default: 'medium' },
          },
        },
      },
    },
    async (request, reply) => {
      if (failStatus !== undefined) return reply.code(failStatus).send({ error: { code: 'TEST_FAIL' } });
      const taskId = request.idempotency?.taskId ?? randomUUID();
      await queue.add('calculate_var', request.body as object, { jobId: taskId });
      const hold = held;
      held = undefined;
      if (hold !== undefined) {
        hold.reached();
        await hold.released;
      }
      return reply
        .code(202)
        .header('location', `/api/v1/tasks/${taskId}`)
        .send({ task_id: taskId, status: 'queued', correlation_id: request.id });
    },
  );
  await app.ready();
  return {
    app,
    queue,
    redis,
    lines,
    outcomes,
    failWith: (status) => {
      failStatus = status;
    },
    holdNext: () => {
      const enqueued = Promise.withResolvers<void>();
      const released = Promise.withResolvers<void>();
      held = { reached: enqueued.resolve, released: released.promise };
      return { enqueued: enqueued.promise, release: released.resolve };
    },
    close: async () => {
      await app.close();
      await queue.obliterate({ force: true }).catch(() => {});
      await queue.close();
      redis.disconnect();
    },
  };
}
