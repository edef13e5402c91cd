/** The return value of a dtq job (BullMQ `returnvalue`): small JSON the API shows as the task's result. */

/** How a job got its result. */
export type OutcomeStatus = 'computed' | 'cache_hit' | 'already_processing';

/** A job's return value. */
export interface TaskOutcome {
  status: OutcomeStatus;
  /** The task's result (absent for already_processing: read the original task instead). */
  result?: unknown;
  /** For cache_hit and already_processing: the task that computed (or is computing) it. */
  original_task_id?: string;
  original_correlation_id?: string;
  /** Lock resource the job ran under, and the fencing token its result was written with. */
  lock_resource: string;
  fencing_token?: number;
}
