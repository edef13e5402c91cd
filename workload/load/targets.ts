/**
 * What the load generator must know about each reference system it drives (workload/stack/
 * systems.ts): which task bodies its API accepts, how its status route names a task's state,
 * and which load options it cannot serve. Data and pure functions, so the plan, the runner and
 * the fidelity check share one answer.
 */
import { type Priority, TASK_TYPES, type TaskType } from '../../contract/vocabulary.ts';
import type { FaultSpec } from '../queue/contract.ts';
import { sampleTaskBody, type TaskRequestBody } from '../stack/sample-tasks.ts';
import type { WorkloadSystem } from '../stack/systems.ts';

/** Options of a load run that depend on what the system behind nginx can do. */
export type SystemBoundOption = 'duplicates' | 'freezeWorker' | 'takeovers' | 'restartRedis';

/** One system as the load generator sees it. */
export interface LoadTarget {
  readonly system: WorkloadSystem;
  /** Task types its API accepts. */
  readonly taskTypes: readonly TaskType[];
  /** A valid body of `type`; `variant` makes otherwise equal bodies distinct. */
  taskBody(type: TaskType, priority: Priority, variant: number, fault?: FaultSpec): TaskRequestBody;
  /** The contract's word (`queued`, `running`, `succeeded`, `failed`) for a state its status route answers. */
  statusWord(state: string): string;
  /** Options it cannot serve, each with the reason a user is told. */
  readonly unsupported: Readonly<Partial<Record<SystemBoundOption, string>>>;
}

/** Celery's task states in the contract's words (the FastAPI app's own mapping, services/task_service.py). */
export const CELERY_STATE_WORDS: Readonly<Record<string, string>> = {
  PENDING: 'queued',
  RECEIVED: 'queued',
  RETRY: 'queued',
  STARTED: 'running',
  SUCCESS: 'succeeded',
  FAILURE: 'failed',
  REVOKED: 'failed',
};

/**
 * Monte Carlo paths of a Celery `calculate_var` in a load run: the Node samples' size
 * (sample-tasks.ts), so both systems do equal work per task; the design notes' default
 * (100,000) is the benchmark's.
 */
const CELERY_LOAD_SIMULATIONS = 5_000;

const SYMBOLS = ['AAPL', 'MSFT', 'GOOG'];

/**
 * A `calculate_var` body as `tasks.calculate_var` takes its kwargs: `portfolio_data`,
 * `confidence_level`, `time_horizon`, `num_simulations` (the Node API's `simulations` and
 * `seed` would be unexpected keyword arguments there).
 */
export function celeryVarBody(
  priority: Priority,
  variant: number,
  fault?: FaultSpec,
  simulations = CELERY_LOAD_SIMULATIONS,
): TaskRequestBody {
  const positions = SYMBOLS.map((symbol, index) => ({
    symbol,
    quantity: 10 + ((variant * 7 + index * 13) % 90),
    price: 50 + index * 25,
    volatility: 0.15 + index * 0.02,
  }));
  const data: Record<string, unknown> = {
    portfolio_data: { portfolio_id: `pf-${variant % 50}`, positions },
    confidence_level: 0.99,
    num_simulations: simulations,
  };
  return { task_type: 'calculate_var', data: fault ? { ...data, fault } : data, priority };
}

const NODE_TARGET: LoadTarget = {
  system: 'node',
  taskTypes: TASK_TYPES,
  taskBody: (type, priority, variant, fault) => sampleTaskBody(type, priority, variant, fault),
  statusWord: (state) => state,
  unsupported: {},
};

const NO_IDEMPOTENCY = 'its FastAPI app has no Idempotency-Key handling, as in the design notes';

const CELERY_TARGET: LoadTarget = {
  system: 'celery',
  taskTypes: ['calculate_var'],
  taskBody: (_type, priority, variant, fault) => celeryVarBody(priority, variant, fault),
  statusWord: (state) => CELERY_STATE_WORDS[state] ?? state,
  unsupported: {
    duplicates: NO_IDEMPOTENCY,
    takeovers: NO_IDEMPOTENCY,
    freezeWorker:
      'its task has no lease or fenced write, so a worker frozen past the visibility timeout runs the task twice by design',
    restartRedis: 'a Redis restart under Celery is not among the cases this check covers',
  },
};

/** The load target of `system`. */
export function loadTarget(system: WorkloadSystem): LoadTarget {
  return system === 'celery' ? CELERY_TARGET : NODE_TARGET;
}
