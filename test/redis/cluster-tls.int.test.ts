/**
 * A Redis Cluster that speaks TLS only (clients, cluster bus and replication; 3 masters + 3
 * replicas on loopback, certificates made by openssl for this run): an API and a worker process
 * given DTQ_REDIS_TLS and DTQ_REDIS_CA run a task on it, and a client trusting another CA is
 * refused with the variable to fix named.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EVENTS } from '../../contract/vocabulary.ts';
import { startRedisCluster } from '../utils/redis-cluster.ts';
import { makeTestCerts, type TestCerts } from '../utils/test-certs.ts';
import { apiAndWorkerOn, refusalOf, runTask } from './topology-rig.ts';

let certs: TestCerts;
const rig = apiAndWorkerOn(
  'cluster-tls',
  () => {
    certs = makeTestCerts();
    return startRedisCluster({ tls: { caFile: certs.caFile, certFile: certs.serverCert, keyFile: certs.serverKey } });
  },
  () => certs?.remove(),
);

describe('a Redis Cluster over TLS', () => {
  it('runs a task when the API and the worker are given DTQ_REDIS_TLS and DTQ_REDIS_CA', async () => {
    expect(rig.topology.env).toMatchObject({ DTQ_REDIS_TLS: '1', DTQ_REDIS_CA: certs.caFile });
    const taskId = await runTask(rig, 'medium');
    const completed = rig.harness.lines().filter((l) => l['event.action'] === EVENTS.TASK_COMPLETED);
    expect(completed.map((l) => l.task_id)).toContain(taskId);
  });

  it('refuses servers whose certificate another CA signed, naming DTQ_REDIS_CA', async () => {
    const wrongCa = { ...rig.topology.target, tls: { ca: readFileSync(certs.otherCaFile, 'utf8') } };
    const { error, available } = await refusalOf(wrongCa, 'the certificate to be refused', (e) =>
      e.message.includes('DTQ_REDIS_CA'),
    );
    expect(error.code).toBe('DTQ_ERR_QUEUE_REDIS_UNAVAILABLE');
    expect(error.message).toContain('is not signed by the CA of DTQ_REDIS_CA');
    expect(available).toBe(false);
  });
});
