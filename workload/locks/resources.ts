/**
 * What a task locks and what identifies its inputs, per task type (pure).
 *
 * - calculate_var and stress_test lock their portfolio: `portfolio_data.portfolio_id`, or a
 *   hash of the positions when the request names none (the same positions are the same book).
 * - monte_carlo_pricing and portfolio_optimization have no shared resource; they lock the hash
 *   of their inputs, which makes the lock a single-flight guard for identical requests.
 * The inputs hash covers the task type, the canonical data (fault injection excluded) and the
 * resolved seed; it keys the result cache.
 */
import { createHash } from 'node:crypto';
import type { TaskType } from '../../contract/vocabulary.ts';
import { canonicalJson } from '../common/canonical-json.ts';

/** How a job behaves when its resource is locked by another job. */
export type ContentionPolicy = 'wait' | 'skip';

/** Contention policy per task type (see docs/worker.md for why). */
export const CONTENTION_POLICY: Readonly<Record<TaskType, ContentionPolicy>> = {
  calculate_var: 'wait',
  stress_test: 'wait',
  monte_carlo_pricing: 'skip',
  portfolio_optimization: 'skip',
};

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Task data without the fault-injection field, which never changes the result. */
export function withoutFault(data: Record<string, unknown>): Record<string, unknown> {
  const { fault: _fault, ...rest } = data;
  return rest;
}

/**
 * The seed a task runs with: the one it names, or one derived from its inputs so that
 * identical requests without a seed compute (and cache) the identical result.
 */
export function resolveSeed(taskType: TaskType, data: Record<string, unknown>): number {
  if (typeof data.seed === 'number') return data.seed;
  const { seed: _seed, ...rest } = withoutFault(data);
  return Number.parseInt(sha256(`${taskType}\n${canonicalJson(rest)}`).slice(0, 8), 16);
}

/**
 * Version of the computations behind cached results: bump it when the math or the result shape
 * changes, so entries written by older workers are not served as if they were current.
 */
export const RESULTS_VERSION = 1;

/** Hash identifying a task's inputs (type, canonical data, resolved seed): the cache key. */
export function inputsHash(taskType: TaskType, data: Record<string, unknown>): string {
  const { seed: _seed, ...rest } = withoutFault(data);
  return sha256(`v${RESULTS_VERSION}\n${taskType}\n${canonicalJson(rest)}\n${resolveSeed(taskType, data)}`);
}

/** The lock resource of a task. */
export function lockResource(taskType: TaskType, data: Record<string, unknown>): string {
  if (taskType === 'calculate_var' || taskType === 'stress_test') {
    const portfolio = (data.portfolio_data ?? {}) as { portfolio_id?: unknown; positions?: unknown };
    const id =
      typeof portfolio.portfolio_id === 'string'
        ? portfolio.portfolio_id
        : `positions-${sha256(canonicalJson(portfolio.positions ?? [])).slice(0, 32)}`;
    return `${taskType}:portfolio:${id}`;
  }
  return `${taskType}:inputs:${inputsHash(taskType, data)}`;
}

/** The portfolio id a task works on, when it has one (logged as portfolio.id). */
export function portfolioIdOf(data: Record<string, unknown>): string | undefined {
  const portfolio = data.portfolio_data as { portfolio_id?: unknown } | undefined;
  return typeof portfolio?.portfolio_id === 'string' ? portfolio.portfolio_id : undefined;
}
