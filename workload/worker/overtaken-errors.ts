/**
 * BullMQ's worker 'error' events that are about one job whose lease this worker lost. BullMQ
 * names the job only in the message text (and a numeric code on refusals), so they are read
 * here, in one place, into the job id and what happened.
 */

/** BullMQ's codes for "the job is not this attempt's to finish any more" (its ErrorCode enum). */
const REFUSAL_CODES: ReadonlySet<number> = new Set([
  -1, // JobNotExist: the job was removed
  -2, // JobLockNotExist: the job lock expired
  -3, // JobNotInState: the job left `active` (the stalled check moved it back to wait)
  -6, // JobLockMismatch: another worker holds the job lock now
]);

const RENEWAL_FAILED = /^could not renew lock for job (\S+)$/;
const REFUSED = /^(?:Missing key|Missing lock|Lock mismatch) for job (\S+?)\.|^Job (\S+) is not in the \S+ state\./;

/** What a worker error says about one job: its lease was lost, or the end of its attempt was refused. */
export type OvertakenError =
  | { readonly kind: 'lease_lost'; readonly jobId: string }
  | { readonly kind: 'finish_refused'; readonly jobId: string };

/** The job a BullMQ worker error is about, when it tells of a lost lease or a refused finish. */
export function overtakenError(error: Error): OvertakenError | undefined {
  const renewal = RENEWAL_FAILED.exec(error.message);
  if (renewal?.[1] !== undefined) return { kind: 'lease_lost', jobId: renewal[1] };
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'number' || !REFUSAL_CODES.has(code)) return undefined;
  const refused = REFUSED.exec(error.message);
  const jobId = refused?.[1] ?? refused?.[2];
  return jobId === undefined ? undefined : { kind: 'finish_refused', jobId };
}
