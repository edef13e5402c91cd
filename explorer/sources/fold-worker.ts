/**
 * A worker thread of a list pass over log files: folds its part of the directory (files in
 * order, from where the last pass stopped) into a ledger and posts the ledger's state back,
 * which FileSource merges in file order. Started by FileSource with FoldWorkerData.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { packLedger } from '../model/request-list.ts';
import { FileSource, type FoldWorkerData } from './files.ts';

const data = workerData as FoldWorkerData;
const source = new FileSource(data.logs, data.options);
const part = await source.foldPart(data.jobs, data.sinceMs);
parentPort?.postMessage({ ...part, state: typeof part.state === 'string' ? part.state : packLedger(part.state) });
