/**
 * Sentinel over TLS (a master, a replica and 3 sentinels that all speak TLS only, certificates
 * made by openssl for this run): an API and a worker process given DTQ_REDIS_TLS and
 * DTQ_REDIS_CA find the master through the sentinels, both over TLS, and run a task.
 */
import { describe, expect, it } from 'vitest';
import { EVENTS } from '../../contract/vocabulary.ts';
import { startRedisSentinel } from '../utils/redis-cluster.ts';
import { makeTestCerts, type TestCerts } from '../utils/test-certs.ts';
import { apiAndWorkerOn, runTask } from './topology-rig.ts';

let certs: TestCerts;
const rig = apiAndWorkerOn(
  'sentinel-tls',
  () => {
    certs = makeTestCerts();
    return startRedisSentinel({
      replicas: 1,
      tls: { caFile: certs.caFile, certFile: certs.serverCert, keyFile: certs.serverKey },
    });
  },
  () => certs?.remove(),
);

describe('Sentinel over TLS', () => {
  it('runs a task when the API and the worker are given DTQ_REDIS_TLS and DTQ_REDIS_CA', async () => {
    expect(rig.topology.env).toMatchObject({ DTQ_REDIS_TLS: '1', DTQ_REDIS_CA: certs.caFile });
    const taskId = await runTask(rig, 'low');
    const completed = rig.harness.lines().filter((l) => l['event.action'] === EVENTS.TASK_COMPLETED);
    expect(completed.map((l) => l.task_id)).toContain(taskId);
  });
});
