/**
 * The Helm chart (deploy/helm/dtq), proven offline: the real `helm template` renders it with the
 * default values and with values-production.yaml; every manifest validates against the strict
 * Kubernetes schemas of the oldest and newest supported versions and against the CRDs of KEDA,
 * ECK and the Redis operator; and what matters holds: probes, grace periods that cover the
 * workers' hand-back, disruption budgets, autoscaling targets, no secret in clear, no
 * hand-rolled StatefulSet, and an environment every process's own config reader accepts.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { shipNodeOptions } from '../../bench/peers/contenders.ts';
import { PRIORITIES } from '../../contract/vocabulary.ts';
import { configFromEnv as shipperConfigFromEnv } from '../../shipper/config.ts';
import { apiConfigFromEnv } from '../../workload/api/config.ts';
import { renderNginxConfig } from '../../workload/nginx/render.ts';
import { QUEUE_NAMES, waitListKey } from '../../workload/queue/contract.ts';
import { loadWorkerConfig } from '../../workload/worker/config.ts';
import { CHART_DIR, helmTemplate, renderManifests, runHelm } from './helm.ts';
import { installedKubernetesVersions, type Manifest, manifestValidator } from './k8s-schemas.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const PRODUCTION = ['-f', join(CHART_DIR, 'values-production.yaml')];

/** A stop deadline written as `const NAME = 10_000;` in a process's main.ts. */
function codeConstantMs(file: string, name: string): number {
  const source = readFileSync(join(ROOT, file), 'utf8');
  const match = new RegExp(`const ${name} = ([\\d_]+);`).exec(source);
  if (match?.[1] === undefined)
    throw new Error(
      `${file} no longer declares ${name}: update the chart's stop budgets (templates/_helpers.tpl) and this test`,
    );
  return Number(match[1].replaceAll('_', ''));
}
const WORKER_HAND_BACK_MS = codeConstantMs('workload/worker/main.ts', 'HAND_BACK_MS');
const API_STOP_DEADLINE_MS = codeConstantMs('workload/api/main.ts', 'STOP_DEADLINE_MS');

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string }; fieldRef?: { fieldPath: string } };
}
interface Probe {
  httpGet?: { path: string; port: string | number };
  tcpSocket?: { port: string | number };
}
interface Container {
  name: string;
  command?: string[];
  env?: EnvVar[];
  ports?: { name?: string; containerPort: number }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  restartPolicy?: string;
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodSpec {
  terminationGracePeriodSeconds?: number;
  initContainers?: Container[];
  containers: Container[];
}

const find = (manifests: Manifest[], kind: string, name: string): Manifest => {
  const found = manifests.find((m) => m.kind === kind && m.metadata.name === name);
  if (found === undefined)
    throw new Error(`no ${kind} ${name} among ${manifests.map((m) => `${m.kind}/${m.metadata.name}`).join(', ')}`);
  return found;
};
const spec = (manifest: Manifest) => manifest.spec as Record<string, unknown>;
const podSpec = (deployment: Manifest) => (spec(deployment).template as { spec: PodSpec }).spec;
const container = (pod: PodSpec, name: string): Container => {
  const found = [...pod.containers, ...(pod.initContainers ?? [])].find((c) => c.name === name);
  if (found === undefined) throw new Error(`no container ${name}`);
  return found;
};
const envValue = (c: Container, name: string): string => {
  const found = c.env?.find((e) => e.name === name);
  if (found?.value === undefined) throw new Error(`${c.name} has no literal ${name}`);
  return found.value;
};
/** The environment a container's process sees, with references replaced by stand-ins. */
/** Env variables naming a file the process reads at start, which the pod mounts from a Secret. */
const MOUNTED_FILE_VARS = ['DTQ_ES_CA', 'DTQ_REDIS_CA'];
/** A stand-in for a mounted file, so a config reader that reads it at start can run here. */
const standInFile = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'dtq-helm-mount-'));
  const file = join(dir, 'ca.crt');
  writeFileSync(file, '-----BEGIN CERTIFICATE-----\nstand-in\n-----END CERTIFICATE-----\n');
  return file;
};
const processEnv = (c: Container): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {};
  for (const e of c.env ?? []) {
    env[e.name] = (e.value ?? `<${e.valueFrom?.secretKeyRef?.name ?? e.valueFrom?.fieldRef?.fieldPath}>`).replaceAll(
      '$(POD_NAME)',
      'dtq-pod-1',
    );
    const path = env[e.name] as string;
    if (MOUNTED_FILE_VARS.includes(e.name)) {
      // The file must come from one of the container's mounts; the reader then gets a stand-in.
      expect((c.volumeMounts ?? []).some((m) => path.startsWith(`${m.mountPath}/`))).toBe(true);
      env[e.name] = standInFile();
    }
  }
  return env;
};
/** Milliseconds the shipper sidecar may need after the pod's process exited: its preStop pause, then delivery. */
const shipperStopMs = (pod: PodSpec): number => {
  const shipper = pod.initContainers?.find((c) => c.name === 'shipper');
  if (shipper === undefined) return 0;
  const drainS = Number(shipper.lifecycle?.preStop?.exec?.command[1]);
  return drainS * 1000 + Number(envValue(shipper, 'DTQ_SHIPPER_SHUTDOWN_TIMEOUT_MS'));
};
const allContainers = (manifests: Manifest[]): Container[] =>
  manifests
    .filter((m) => m.kind === 'Deployment')
    .flatMap((m) => [...podSpec(m).containers, ...(podSpec(m).initContainers ?? [])]);

describe.each([
  { label: 'default values', args: [] as string[], pdbMin: 1, esNodes: 1, ingresses: 0 },
  { label: 'values-production.yaml (3 nodes)', args: PRODUCTION, pdbMin: 2, esNodes: 3, ingresses: 1 },
])('helm template with $label', ({ args, pdbMin, esNodes, ingresses }) => {
  const manifests = renderManifests(args);

  it('passes helm lint --strict', () => {
    const lint = runHelm(['lint', '--strict', CHART_DIR, ...args]);
    expect(lint.stderr).toBe('');
    expect(lint.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(lint.status).toBe(0);
  });

  it.each(installedKubernetesVersions())('validates every manifest against Kubernetes %s and the CRDs', (version) => {
    const validator = manifestValidator(version);
    const problems = manifests.flatMap((m) =>
      validator.check(m).map((problem) => `${m.kind}/${m.metadata.name} ${problem}`),
    );
    expect(problems).toEqual([]);
    expect(manifests.length).toBeGreaterThan(10);
  });

  it('runs Redis and Elasticsearch through their operators, never as StatefulSets of its own', () => {
    expect(manifests.filter((m) => m.kind === 'StatefulSet')).toEqual([]);
    expect(find(manifests, 'Redis', 'dtq-redis').apiVersion).toBe('redis.redis.opstreelabs.in/v1beta2');
    const es = find(manifests, 'Elasticsearch', 'dtq');
    expect(es.apiVersion).toBe('elasticsearch.k8s.elastic.co/v1');
    expect((spec(es).nodeSets as { count: number }[]).reduce((sum, set) => sum + set.count, 0)).toBe(esNodes);
    expect(spec(find(manifests, 'Kibana', 'dtq')).elasticsearchRef).toEqual({ name: 'dtq' });
  });

  it('probes the API on /health (liveness) and /ready (readiness) at the port it listens on', () => {
    const pod = podSpec(find(manifests, 'Deployment', 'dtq-api'));
    const api = container(pod, 'api');
    const port = api.ports?.find((p) => p.name === 'http')?.containerPort;
    expect(api.livenessProbe?.httpGet).toEqual({ path: '/health', port: 'http' });
    expect(api.readinessProbe?.httpGet).toEqual({ path: '/ready', port: 'http' });
    expect(apiConfigFromEnv(processEnv(api)).port).toBe(port);
    expect(apiConfigFromEnv(processEnv(api)).host).toBe('0.0.0.0');
    const service = find(manifests, 'Service', 'dtq-api');
    expect(spec(service).ports).toEqual([{ name: 'http', port, targetPort: 'http' }]);
  });

  it('gives each pod a grace period that covers its process stop and then the shipper', () => {
    const workerPod = podSpec(find(manifests, 'Deployment', 'dtq-worker'));
    const worker = loadWorkerConfig(processEnv(container(workerPod, 'worker')));
    // The hand-back deadline: grace for running jobs, then at most HAND_BACK_MS to hand them back.
    const workerStopMs = worker.shutdownGraceMs + WORKER_HAND_BACK_MS;
    expect((workerPod.terminationGracePeriodSeconds ?? 30) * 1000).toBeGreaterThanOrEqual(
      workerStopMs + shipperStopMs(workerPod),
    );
    const apiPod = podSpec(find(manifests, 'Deployment', 'dtq-api'));
    const preStopS = Number(container(apiPod, 'api').lifecycle?.preStop?.exec?.command[1]);
    expect((apiPod.terminationGracePeriodSeconds ?? 30) * 1000).toBeGreaterThanOrEqual(
      preStopS * 1000 + API_STOP_DEADLINE_MS + shipperStopMs(apiPod),
    );
  });

  it('runs the shipper as a native sidecar of every dtq pod, shipping the pod log directory', () => {
    for (const name of ['dtq-api', 'dtq-worker', 'dtq-nginx']) {
      const pod = podSpec(find(manifests, 'Deployment', name));
      const shipper = container(pod, 'shipper');
      expect(shipper.restartPolicy).toBe('Always');
      expect(shipper.command).toEqual(['node', 'shipper/cli.ts']);
      // The V8 flags of bin/dtq-ship.js, whose memory the benchmarks measure.
      expect(processEnv(shipper).NODE_OPTIONS).toBe(shipNodeOptions().join(' '));
      const config = shipperConfigFromEnv(processEnv(shipper));
      expect(config.logDir).toBe('/var/log/dtq');
      expect(config.esUrl).toBe('https://dtq-es-http:9200');
    }
  });

  it('keeps every secret in a Secret: none rendered, credentials only by reference', () => {
    expect(manifests.filter((m) => m.kind === 'Secret')).toEqual([]);
    const secretLike = /PASSWORD|API_KEY|TOKEN|SECRET/;
    const env = allContainers(manifests).flatMap((c) => c.env ?? []);
    expect(env.filter((e) => secretLike.test(e.name) && e.value !== undefined)).toEqual([]);
    const password = env.find((e) => e.name === 'DTQ_ES_PASSWORD');
    expect(password?.valueFrom?.secretKeyRef?.name).toBeTruthy();
  });

  it('scales the API on CPU and the workers on the BullMQ wait list of every queue', () => {
    const hpa = spec(find(manifests, 'HorizontalPodAutoscaler', 'dtq-api'));
    expect(hpa.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'dtq-api' });
    expect(spec(find(manifests, 'Deployment', 'dtq-api')).replicas).toBeUndefined();

    const scaled = spec(find(manifests, 'ScaledObject', 'dtq-worker'));
    expect(scaled.scaleTargetRef).toEqual({ name: 'dtq-worker' });
    expect(scaled.minReplicaCount).toBeGreaterThanOrEqual(1);
    const triggers = scaled.triggers as { type: string; metadata: Record<string, string> }[];
    expect(triggers.map((t) => t.metadata.listName)).toEqual(
      PRIORITIES.map((priority) => waitListKey(QUEUE_NAMES[priority])),
    );
    for (const trigger of triggers) {
      expect(trigger.type).toBe('redis');
      // KEDA runs in its own namespace: the Redis operator's Service by its full name.
      expect(trigger.metadata.address).toBe('dtq-redis.dtq.svc:6379');
      expect(Number(trigger.metadata.listLength)).toBeGreaterThanOrEqual(1);
    }
    expect(spec(find(manifests, 'Deployment', 'dtq-worker')).replicas).toBeUndefined();
    const workerEnv = processEnv(container(podSpec(find(manifests, 'Deployment', 'dtq-worker')), 'worker'));
    expect(loadWorkerConfig(workerEnv).redisTarget).toEqual({ kind: 'url', url: 'redis://dtq-redis:6379' });
  });

  it('keeps pods through a drain with PodDisruptionBudgets below the replica floor', () => {
    const floors: Record<string, number> = {
      'dtq-api': spec(find(manifests, 'HorizontalPodAutoscaler', 'dtq-api')).minReplicas as number,
      'dtq-worker': spec(find(manifests, 'ScaledObject', 'dtq-worker')).minReplicaCount as number,
      'dtq-nginx': spec(find(manifests, 'Deployment', 'dtq-nginx')).replicas as number,
    };
    for (const [name, floor] of Object.entries(floors)) {
      const pdb = spec(find(manifests, 'PodDisruptionBudget', name));
      const deployment = spec(find(manifests, 'Deployment', name));
      expect(pdb.minAvailable).toBe(pdbMin);
      expect(pdb.selector).toEqual(deployment.selector);
      // Below the floor, or no voluntary eviction could ever proceed.
      expect(pdb.minAvailable as number).toBeLessThan(floor);
    }
  });

  it('sets requests and limits of CPU and memory on every container', () => {
    for (const c of allContainers(manifests)) {
      expect(Object.keys(c.resources?.requests ?? {}).sort(), c.name).toEqual(['cpu', 'memory']);
      expect(Object.keys(c.resources?.limits ?? {}).sort(), c.name).toEqual(['cpu', 'memory']);
    }
  });

  it('starts each dtq container with an entry the image contains', () => {
    // Top-level folders the Dockerfile's runtime stage copies (`COPY <dir> ./<dir>`).
    const copied = new Set(
      [...readFileSync(join(ROOT, 'Dockerfile'), 'utf8').matchAll(/^COPY (?!--from)(\S+) \.\/\1$/gm)].map((m) => m[1]),
    );
    const entries = allContainers(manifests).flatMap((c) => {
      const [program, first, , code] = c.command ?? [];
      if (program !== 'node') return [];
      if (first === '--input-type=module') return [...(code ?? '').matchAll(/from '\.\/([^']+)'/g)].map((m) => m[1]);
      return [first];
    });
    expect(entries.sort()).toEqual([
      'shipper/cli.ts',
      'shipper/cli.ts',
      'shipper/cli.ts',
      'workload/api/main.ts',
      'workload/nginx/write-config.ts',
      'workload/worker/main.ts',
    ]);
    for (const entry of entries) {
      expect(existsSync(join(ROOT, entry ?? '')), entry).toBe(true);
      expect(copied.has((entry ?? '').split('/')[0]), entry).toBe(true);
    }
  });

  it('renders nginx with the repository renderer, upstream the API Service', () => {
    const pod = podSpec(find(manifests, 'Deployment', 'dtq-nginx'));
    const options = JSON.parse(processEnv(container(pod, 'render-config')).DTQ_NGINX_OPTIONS ?? '');
    expect(options.upstreams).toEqual(['dtq-api:3000']);
    expect(options.instance).toBe('dtq-pod-1');
    const config = renderNginxConfig(options);
    expect(config).toContain('server dtq-api:3000');
    expect(config).toContain(`listen ${container(pod, 'nginx').ports?.[0]?.containerPort};`);
    expect(container(pod, 'nginx').readinessProbe?.httpGet).toEqual({ path: '/health', port: 'http' });
    const nginxService = find(manifests, 'Service', 'dtq-nginx');
    expect(spec(nginxService).ports).toEqual([{ name: 'http', port: 80, targetPort: 'http' }]);
    const ingress = manifests.filter((m) => m.kind === 'Ingress');
    expect(ingress).toHaveLength(ingresses);
    for (const m of ingress) {
      const rules = spec(m).rules as { http: { paths: { backend: unknown }[] } }[];
      expect(rules.flatMap((rule) => rule.http.paths.map((path) => path.backend))).toEqual([
        { service: { name: 'dtq-nginx', port: { name: 'http' } } },
      ]);
    }
  });
});

describe('helm template with an external Redis and Elasticsearch (no operators)', () => {
  const external = [
    ...['redis.operator.enabled=false', 'redis.host=redis.data.svc', 'redis.passwordSecret.name=redis-auth'],
    ...['redis.urlSecret.name=redis-url', 'elasticsearch.operator.enabled=false', 'kibana.enabled=false'],
    ...['elasticsearch.url=https://es.example.com:9200', 'elasticsearch.caSecret.name=es-ca'],
    'elasticsearch.credentials.apiKeySecret.name=es-shipper-key',
  ].flatMap((value) => ['--set', value]);
  const manifests = renderManifests(external);

  it('renders no operator resource and validates against the schemas', () => {
    expect(manifests.filter((m) => ['Redis', 'Elasticsearch', 'Kibana', 'StatefulSet'].includes(m.kind))).toEqual([]);
    const validator = manifestValidator(installedKubernetesVersions()[0] ?? '');
    expect(manifests.flatMap((m) => validator.check(m).map((p) => `${m.kind}/${m.metadata.name} ${p}`))).toEqual([]);
  });

  it('takes the Redis URL and the Elasticsearch API key from Secrets, and KEDA the password', () => {
    const worker = container(podSpec(find(manifests, 'Deployment', 'dtq-worker')), 'worker');
    expect(worker.env?.find((e) => e.name === 'DTQ_REDIS_URL')?.valueFrom?.secretKeyRef).toEqual({
      name: 'redis-url',
      key: 'url',
    });
    const shipper = container(podSpec(find(manifests, 'Deployment', 'dtq-api')), 'shipper');
    expect(shipper.env?.find((e) => e.name === 'DTQ_ES_API_KEY')?.valueFrom?.secretKeyRef?.name).toBe('es-shipper-key');
    expect(shipper.env?.some((e) => e.name === 'DTQ_ES_USERNAME' || e.name === 'DTQ_ES_PASSWORD')).toBe(false);
    expect(shipperConfigFromEnv(processEnv(shipper)).esUrl).toBe('https://es.example.com:9200');
    const triggers = spec(find(manifests, 'ScaledObject', 'dtq-worker')).triggers as {
      metadata: Record<string, string>;
      authenticationRef?: { name: string };
    }[];
    expect(triggers.map((t) => [t.metadata.address, t.authenticationRef?.name])).toEqual(
      PRIORITIES.map(() => ['redis.data.svc:6379', 'dtq-redis']),
    );
    expect(spec(find(manifests, 'TriggerAuthentication', 'dtq-redis')).secretTargetRef).toEqual([
      { parameter: 'password', name: 'redis-auth', key: 'password' },
    ]);
  });

  it('says which value is missing when neither an operator nor a URL is given', () => {
    const rendering = helmTemplate(['--set', 'redis.operator.enabled=false', '--set', 'redis.host=redis']);
    expect(rendering.status).not.toBe(0);
    expect(rendering.stderr).toContain(
      'redis.url (or redis.urlSecret.name) is required when redis.operator.enabled is false',
    );
  });
});

/**
 * The Redis Cluster and Sentinel modes, each on the redis-operator's resources or on addresses of
 * a deployment the user runs, the password by Secret reference in every case.
 */
const REPLICATED_REDIS = [
  {
    label: 'cluster, your own nodes',
    mode: 'cluster',
    set: [
      'redis.operator.enabled=false',
      'redis.cluster.nodes={redis-cluster-0.redis:6379,redis-cluster-1.redis:6379}',
    ],
    kinds: [],
    trigger: 'redis-cluster',
    addresses: 'redis-cluster-0.redis:6379,redis-cluster-1.redis:6379',
    target: {
      kind: 'cluster',
      nodes: [
        { host: 'redis-cluster-0.redis', port: 6379 },
        { host: 'redis-cluster-1.redis', port: 6379 },
      ],
      password: '<redis-auth>',
    },
  },
  {
    label: "cluster, the operator's RedisCluster",
    mode: 'cluster',
    set: [],
    kinds: ['RedisCluster'],
    trigger: 'redis-cluster',
    addresses: 'dtq-redis-leader.dtq.svc:6379',
    target: { kind: 'cluster', nodes: [{ host: 'dtq-redis-leader', port: 6379 }], password: '<redis-auth>' },
  },
  {
    label: 'sentinel, your own sentinels',
    mode: 'sentinel',
    set: [
      'redis.operator.enabled=false',
      'redis.sentinel.sentinels={sentinel-0.redis:26379,[fd00::5]:26379}',
      'redis.sentinel.masterName=dtq-master',
      'redis.sentinel.passwordSecret.name=sentinel-auth',
    ],
    kinds: [],
    trigger: 'redis-sentinel',
    addresses: 'sentinel-0.redis:26379,[fd00::5]:26379',
    target: {
      kind: 'sentinel',
      sentinels: [
        { host: 'sentinel-0.redis', port: 26379 },
        { host: 'fd00::5', port: 26379 },
      ],
      masterName: 'dtq-master',
      password: '<redis-auth>',
      sentinelPassword: '<sentinel-auth>',
    },
  },
  {
    label: "sentinel, the operator's RedisReplication and RedisSentinel",
    mode: 'sentinel',
    set: ['redis.sentinel.masterName=dtq-master', 'redis.sentinel.passwordSecret.name=sentinel-auth'],
    kinds: ['RedisReplication', 'RedisSentinel'],
    trigger: 'redis-sentinel',
    addresses: 'dtq-redis-sentinel.dtq.svc:26379',
    target: {
      kind: 'sentinel',
      sentinels: [{ host: 'dtq-redis-sentinel', port: 26379 }],
      masterName: 'dtq-master',
      password: '<redis-auth>',
      sentinelPassword: '<sentinel-auth>',
    },
  },
] as const;

const REDIS_KINDS = ['Redis', 'RedisCluster', 'RedisReplication', 'RedisSentinel', 'StatefulSet'];

describe.each(REPLICATED_REDIS)(
  'helm template with redis.mode=$mode ($label)',
  ({ mode, set, kinds, trigger, addresses, target }) => {
    const args = [`redis.mode=${mode}`, 'redis.passwordSecret.name=redis-auth', ...set].flatMap((value) => [
      '--set',
      value,
    ]);
    const manifests = renderManifests(args);

    it('passes helm lint --strict and validates every manifest against Kubernetes and the CRDs', () => {
      const lint = runHelm(['lint', '--strict', CHART_DIR, ...args]);
      expect(lint.stderr).toBe('');
      expect(lint.status).toBe(0);
      for (const version of installedKubernetesVersions()) {
        const validator = manifestValidator(version);
        expect(manifests.flatMap((m) => validator.check(m).map((p) => `${m.kind}/${m.metadata.name} ${p}`))).toEqual(
          [],
        );
      }
      // The operator's resources for the mode, or none: never a StatefulSet of the chart's own.
      expect(manifests.filter((m) => REDIS_KINDS.includes(m.kind)).map((m) => m.kind)).toEqual(kinds);
      const sentinels = manifests.find((m) => m.kind === 'RedisSentinel');
      if (sentinels !== undefined) {
        // The sentinels require the password the pods and KEDA are given, and use the data one.
        const sentinelSpec = spec(sentinels) as {
          kubernetesConfig: { redisSecret?: unknown };
          redisSentinelConfig: Record<string, unknown>;
        };
        expect(sentinelSpec.kubernetesConfig.redisSecret).toEqual({ name: 'sentinel-auth', key: 'password' });
        expect(sentinelSpec.redisSentinelConfig).toMatchObject({
          redisReplicationName: 'dtq-redis',
          masterGroupName: 'dtq-master',
          redisReplicationPassword: { secretKeyRef: { name: 'redis-auth', key: 'password' } },
        });
      }
    });

    it(`gives the API and the workers the ${mode} target and its password from the Secret, and no URL`, () => {
      const worker = container(podSpec(find(manifests, 'Deployment', 'dtq-worker')), 'worker');
      const api = container(podSpec(find(manifests, 'Deployment', 'dtq-api')), 'api');
      // The processes' own readers: a variable they would refuse fails here as it would in the pod.
      expect(loadWorkerConfig(processEnv(worker)).redisTarget).toEqual(target);
      expect(apiConfigFromEnv(processEnv(api)).redisTarget).toEqual(target);
      for (const c of [worker, api]) {
        expect(c.env?.some((e) => e.name === 'DTQ_REDIS_URL')).toBe(false);
        expect(c.env?.find((e) => e.name === 'DTQ_REDIS_PASSWORD')?.valueFrom?.secretKeyRef).toEqual({
          name: 'redis-auth',
          key: 'password',
        });
      }
    });

    it(`scales the workers with KEDA's ${trigger} trigger on each queue's hash-tagged wait list`, () => {
      const triggers = spec(find(manifests, 'ScaledObject', 'dtq-worker')).triggers as {
        type: string;
        metadata: Record<string, string>;
        authenticationRef?: { name: string };
      }[];
      expect(triggers.map((t) => t.metadata.listName)).toEqual(
        PRIORITIES.map((priority) => waitListKey(QUEUE_NAMES[priority])),
      );
      for (const t of triggers) {
        expect(t.type).toBe(trigger);
        expect(t.metadata.addresses).toBe(addresses);
        expect(t.metadata.address).toBeUndefined();
        expect(t.metadata.sentinelMaster).toBe(mode === 'sentinel' ? 'dtq-master' : undefined);
        expect(t.authenticationRef).toEqual({ name: 'dtq-redis' });
      }
      // Each list in its own queue's slot: the braces are the Redis Cluster hash tag.
      expect(triggers.map((t) => /\{([^}]+)\}/.exec(t.metadata.listName ?? '')?.[1])).toEqual(
        PRIORITIES.map((priority) => QUEUE_NAMES[priority]),
      );
      expect(spec(find(manifests, 'TriggerAuthentication', 'dtq-redis')).secretTargetRef).toEqual([
        { parameter: 'password', name: 'redis-auth', key: 'password' },
        ...(mode === 'sentinel' ? [{ parameter: 'sentinelPassword', name: 'sentinel-auth', key: 'password' }] : []),
      ]);
    });
  },
);

describe('helm template with TLS to a Redis Cluster you run', () => {
  const args = [
    ...['redis.mode=cluster', 'redis.operator.enabled=false', 'redis.cluster.nodes={redis-0.redis:6380}'],
    ...['redis.tls.enabled=true', 'redis.tls.caSecret.name=redis-ca'],
  ].flatMap((value) => ['--set', value]);
  const manifests = renderManifests(args);

  it('validates, and gives the pods DTQ_REDIS_TLS and the CA mounted from its Secret, read at start', () => {
    const validator = manifestValidator(installedKubernetesVersions()[0] ?? '');
    expect(manifests.flatMap((m) => validator.check(m).map((p) => `${m.kind}/${m.metadata.name} ${p}`))).toEqual([]);
    for (const name of ['dtq-api', 'dtq-worker']) {
      const pod = podSpec(find(manifests, 'Deployment', name));
      const main = container(pod, name.slice(4));
      // processEnv checks that DTQ_REDIS_CA lies in a mount and hands the reader a stand-in PEM.
      const target = (name === 'dtq-api' ? apiConfigFromEnv : loadWorkerConfig)(processEnv(main)).redisTarget;
      expect(target).toMatchObject({ kind: 'cluster', tls: { ca: expect.stringContaining('BEGIN CERTIFICATE') } });
      const volume = (pod as unknown as { volumes: { name: string; secret?: { secretName: string } }[] }).volumes.find(
        (v) => v.name === 'redis-ca',
      );
      expect(volume?.secret?.secretName).toBe('redis-ca');
    }
  });

  it('tells KEDA to speak TLS and to trust the same CA', () => {
    const triggers = spec(find(manifests, 'ScaledObject', 'dtq-worker')).triggers as {
      metadata: Record<string, string>;
      authenticationRef?: { name: string };
    }[];
    for (const t of triggers) {
      expect(t.metadata.enableTLS).toBe('true');
      expect(t.authenticationRef).toEqual({ name: 'dtq-redis' });
    }
    expect(spec(find(manifests, 'TriggerAuthentication', 'dtq-redis')).secretTargetRef).toEqual([
      { parameter: 'ca', name: 'redis-ca', key: 'ca.crt' },
    ]);
  });

  it('tells KEDA to speak TLS whenever the pods do: a CA alone, or a rediss:// URL', () => {
    const triggersOf = (manifests: Manifest[]) =>
      spec(find(manifests, 'ScaledObject', 'dtq-worker')).triggers as { metadata: Record<string, string> }[];
    const caOnly = renderManifests(
      [
        ...['redis.mode=cluster', 'redis.operator.enabled=false', 'redis.cluster.nodes={redis-0.redis:6380}'],
        'redis.tls.caSecret.name=redis-ca',
      ].flatMap((value) => ['--set', value]),
    );
    const worker = container(podSpec(find(caOnly, 'Deployment', 'dtq-worker')), 'worker');
    expect(loadWorkerConfig(processEnv(worker)).redisTarget).toMatchObject({ kind: 'cluster', tls: {} });
    const byUrl = (url: string) =>
      renderManifests(
        ['redis.operator.enabled=false', `redis.url=${url}`, 'redis.host=cache'].flatMap((value) => ['--set', value]),
      );
    for (const manifests of [caOnly, byUrl('rediss://cache:6380')]) {
      const triggers = triggersOf(manifests);
      expect(triggers.length).toBeGreaterThan(0);
      for (const t of triggers) expect(t.metadata.enableTLS).toBe('true');
    }
    for (const t of triggersOf(byUrl('redis://cache:6379'))) expect(t.metadata.enableTLS).toBeUndefined();
  });

  it("refuses TLS on the operator's Redis and beside a redis:// URL", () => {
    const refusal = (set: string[]) => helmTemplate(set.flatMap((value) => ['--set', value])).stderr;
    expect(refusal(['redis.tls.enabled=true'])).toContain('redis.tls is for a Redis you run');
    expect(refusal(['redis.mode=cluster', 'redis.tls.caSecret.name=redis-ca'])).toContain(
      'redis.tls is for a Redis you run',
    );
    expect(
      refusal([
        'redis.operator.enabled=false',
        'redis.url=redis://cache:6379',
        'redis.host=cache',
        'redis.tls.enabled=true',
      ]),
    ).toContain('redis.url must be a rediss:// URL');
  });
});

describe('helm template refuses a Redis mode without what it needs', () => {
  const refusal = (set: string[]) => {
    const rendering = helmTemplate(set.flatMap((value) => ['--set', value]));
    expect(rendering.status).not.toBe(0);
    return rendering.stderr;
  };

  it('names the missing addresses or master name, and addresses given beside the operator', () => {
    expect(refusal(['redis.mode=cluster', 'redis.cluster.nodes={a:6379}'])).toContain(
      'redis.cluster.nodes names a Redis Cluster you run, while redis.operator.enabled creates one',
    );
    expect(refusal(['redis.mode=sentinel', 'redis.sentinel.sentinels={s:26379}'])).toContain(
      'redis.sentinel.sentinels names sentinels you run, while redis.operator.enabled creates them',
    );
    expect(refusal(['redis.mode=cluster', 'redis.operator.enabled=false'])).toContain(
      'redis.mode=cluster needs redis.cluster.nodes',
    );
    const sentinels = ['redis.mode=sentinel', 'redis.operator.enabled=false', 'redis.sentinel.sentinels={s:26379}'];
    expect(refusal(sentinels)).toContain('redis.mode=sentinel needs redis.sentinel.masterName');
    expect(refusal(['redis.mode=sentinel', 'redis.operator.enabled=false'])).toContain(
      'redis.mode=sentinel needs redis.sentinel.sentinels',
    );
    expect(
      refusal([
        'redis.mode=cluster',
        'redis.operator.enabled=false',
        'redis.cluster.nodes={a:1}',
        'redis.url=redis://a:1',
      ]),
    ).toContain('redis.url and redis.urlSecret are for redis.mode=single');
  });

  it('refuses an unknown mode, a node that is not host:port and a cluster of 2 masters (values.schema.json)', () => {
    expect(refusal(['redis.mode=replicated'])).toContain('/redis/mode');
    expect(refusal(['redis.mode=cluster', 'redis.operator.clusterSize=2'])).toContain('/redis/operator/clusterSize');
    expect(refusal(['redis.mode=cluster', 'redis.operator.enabled=false', 'redis.cluster.nodes={redis-0}'])).toContain(
      '/redis/cluster/nodes/0',
    );
  });
});

describe('helm template refuses values it cannot use', () => {
  const refusal = (set: string[]) => {
    const rendering = helmTemplate(set);
    expect(rendering.status).not.toBe(0);
    expect(rendering.stdout).toBe('');
    return rendering.stderr;
  };

  it('names the key and the type when a values file has a value of the wrong type (values.schema.json)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dtq-helm-'));
    try {
      const file = join(dir, 'wrong.yaml');
      writeFileSync(file, 'worker:\n  shutdownGraceMs: 10s\napi:\n  replicas: three\n');
      const stderr = refusal(['-f', file]);
      expect(stderr).toContain("at '/worker/shutdownGraceMs': got string, want integer");
      expect(stderr).toContain("at '/api/replicas': got string, want integer");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a password written into the values instead of a Secret reference', () => {
    const stderr = refusal(['--set', 'elasticsearch.credentials.password=hunter2']);
    expect(stderr).toContain('/elasticsearch/credentials');
    expect(stderr).toContain("additional properties 'password' not allowed");
    expect(stderr).not.toContain('hunter2');
  });

  it('refuses a worker grace period shorter than the hand-back deadline, saying what it needs', () => {
    const stderr = refusal(['--set', 'worker.terminationGracePeriodSeconds=5']);
    expect(stderr).toMatch(/worker\.terminationGracePeriodSeconds=5 is shorter than the \d+ s the worker pod needs/);
  });

  it('refuses a disruption budget no drain could ever satisfy, naming the replica floor', () => {
    expect(refusal(['--set', 'nginx.pdb.minAvailable=2'])).toContain(
      'nginx.pdb.minAvailable=2 must be below the 2 replica(s) nginx runs with at least',
    );
  });

  it('refuses workers that could scale to zero (retried jobs would never come back to the wait list)', () => {
    expect(refusal(['--set', 'worker.autoscaling.minReplicas=0'])).toContain('/worker/autoscaling/minReplicas');
  });

  it('the schema check itself refuses an unknown field, so a typo cannot pass validation', () => {
    const [deployment] = renderManifests([]).filter((m) => m.kind === 'Deployment');
    if (deployment === undefined) throw new Error('no Deployment rendered');
    const broken = structuredClone(deployment);
    const pod = podSpec(broken);
    (pod.containers[0] as unknown as Record<string, unknown>).livenessProbes = {};
    const validator = manifestValidator(installedKubernetesVersions()[0] ?? '');
    expect(validator.check(broken).join('\n')).toContain('livenessProbes');
    const redis = renderManifests([]).find((m) => m.kind === 'Redis');
    if (redis === undefined) throw new Error('no Redis rendered');
    expect(validator.check({ ...redis, spec: { ...spec(redis), replicas: 3 } }).join('\n')).toContain('replicas');
  });
});
