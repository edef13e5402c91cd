/**
 * docker-compose.yml, proven offline (no Docker engine runs here): it parses, validates
 * against the Compose Specification JSON schema, passes dclint's correctness rules, runs the
 * same commands as the local stack, and its ports, volumes, healthchecks and dependencies fit
 * together. What this cannot prove (images pull, containers start) is said in docs/compose.md.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Ajv } from 'ajv';
import { DCLinter } from 'dclint';
import { afterAll, describe, expect, it } from 'vitest';
import { shipNodeOptions } from '../../bench/peers/contenders.ts';
import { DEFAULT_ES_URL } from '../../elk/client.ts';
import { ES_VERSION } from '../../elk/distribution.ts';
import { NGINX_LIMIT_ENV } from '../../workload/nginx/limits.ts';
import { renderNginxConfig } from '../../workload/nginx/render.ts';
import { SERVICE_COMMANDS } from '../../workload/stack/stack.ts';
import {
  argv,
  COMPOSE_PATH,
  interpolate,
  loadCompose,
  namedMounts,
  nodeEntry,
  publishedPorts,
  ROOT,
} from './compose-file.ts';

const compose = loadCompose();
const services = compose.services;
const require = createRequire(import.meta.url);
const LOG_DIR = '/var/log/dtq';
const API_SERVICES = ['api-1', 'api-2', 'api-3'];
const ONE_SHOT = new Set(['nginx-config', 'setup']);
const projectImage = (name: string) => services[name]?.build !== undefined;
const nginxOptions = JSON.parse(String(services['nginx-config']?.environment?.DTQ_NGINX_OPTIONS)) as {
  listen: number;
  upstreams: string[];
  logDir: string;
  runDir: string;
  workerProcesses: 'auto';
  user: string;
};

const temp = mkdtempSync(join(tmpdir(), 'dtq-compose-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

describe('docker-compose.yml against the Compose Specification', () => {
  it('validates against the Compose Specification JSON schema', () => {
    // dclint ships the compose-spec schema (compose-spec/compose-spec, Apache-2.0). Its $schema
    // names draft-07 by an https URL Ajv does not know; the schema itself is plain draft-07.
    const { $schema: _, ...schema } = JSON.parse(
      readFileSync(join(dirname(require.resolve('dclint/package.json')), 'schemas', 'compose.schema.json'), 'utf8'),
    );
    const validate = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true }).compile(schema);
    const valid = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('is refused by the schema when a service has an unknown key (the check can fail)', () => {
    const { $schema: _, ...schema } = JSON.parse(
      readFileSync(join(dirname(require.resolve('dclint/package.json')), 'schemas', 'compose.schema.json'), 'utf8'),
    );
    const validate = new Ajv({ strict: false, allowUnionTypes: true }).compile(schema);
    const broken = structuredClone(compose) as unknown as { services: Record<string, Record<string, unknown>> };
    (broken.services.redis as Record<string, unknown>).helthcheck = {};
    expect(validate(broken)).toBe(false);
  });

  it("passes dclint's correctness rules (ports, names, pinned tags, quoting)", () => {
    const linter = new DCLinter({
      quiet: true,
      debug: false,
      exclude: [],
      rules: {
        'no-duplicate-container-names': 2,
        'no-duplicate-exported-ports': 2,
        'no-unbound-port-interfaces': 2,
        'no-version-field': 2,
        'require-project-name-field': 2,
        'require-quotes-in-ports': 2,
        'service-image-require-explicit-tag': 2,
        'service-container-name-regex': 2,
        'no-quotes-in-volumes': 2,
        // One image for six services: build once, tag it, reuse it (dclint would forbid build + image).
        'no-build-and-image': 0,
        // Ordering rules are style; this file is ordered by the request path instead.
        'service-keys-order': 0,
        'services-alphabetical-order': 0,
        'service-dependencies-alphabetical-order': 0,
        'service-ports-alphabetical-order': 0,
        'top-level-properties-order': 0,
      },
    });
    const [result] = linter.lintFiles([COMPOSE_PATH], false);
    expect(
      result?.messages.map((message: { rule: string; message: string }) => `${message.rule}: ${message.message}`),
    ).toEqual([]);
  });
});

describe('docker-compose.yml runs what the local stack runs', () => {
  it('gives api, worker and shipper the commands of workload/stack SERVICE_COMMANDS', () => {
    for (const name of API_SERVICES) expect(argv(services[name] ?? {})).toEqual(SERVICE_COMMANDS.api);
    expect(argv(services.shipper ?? {})).toEqual(SERVICE_COMMANDS.shipper);
    expect(nodeEntry(services.worker ?? {})).toBe(SERVICE_COMMANDS.worker[1]);
  });

  it('points every node command at a file that exists in the image', () => {
    const dockerignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n');
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    const checked: string[] = [];
    for (const [name, service] of Object.entries(services).filter(([name]) => projectImage(name))) {
      const args = argv(service);
      const evalScript = args[1] === '--input-type=module' ? args[3] : undefined;
      const entries = evalScript
        ? [...evalScript.matchAll(/from '\.\/([^']+)'/g)].map((match) => match[1] as string)
        : [nodeEntry(service)];
      for (const entry of entries) {
        expect(entry, `${name} runs node <file>`).toBeDefined();
        expect(existsSync(join(ROOT, entry as string)), `${name}: ${entry} exists`).toBe(true);
        const top = (entry as string).split('/')[0] as string;
        expect(dockerignore, `${top}/ is in the build context`).not.toContain(top);
        expect(dockerfile, `${top}/ is copied into the runtime image`).toMatch(
          new RegExp(`^COPY ${top} \\./${top}$`, 'm'),
        );
        checked.push(entry as string);
      }
    }
    expect(checked).toEqual(
      expect.arrayContaining([
        'workload/api/main.ts',
        'workload/worker/main.ts',
        'shipper/cli.ts',
        'elk/setup-cli.ts',
        'workload/load/main.ts',
        'workload/nginx/write-config.ts',
      ]),
    );
  });

  it('runs three APIs with distinct instance names behind nginx', () => {
    const instances = API_SERVICES.map((name) => services[name]?.environment?.DTQ_INSTANCE);
    expect(instances).toEqual(API_SERVICES);
    const ports = API_SERVICES.map((name) => services[name]?.environment?.DTQ_API_PORT);
    expect(nginxOptions.upstreams).toEqual(API_SERVICES.map((name, index) => `${name}:${ports[index]}`));
    for (const name of API_SERVICES) expect(services[name]?.environment?.DTQ_API_HOST).toBe('0.0.0.0');
  });

  it('scales workers with --scale: three replicas, each naming itself after its hostname', () => {
    const worker = services.worker ?? {};
    expect(worker.deploy?.replicas).toBe(3);
    expect(worker.container_name).toBeUndefined();
    expect(worker.ports).toBeUndefined();
    expect(worker.environment?.DTQ_INSTANCE).toBeUndefined();
    // Run the replica's shell line with node swapped for a printer of the environment it gets.
    const script = interpolate(argv(worker)[2] ?? '').replace(
      'exec node workload/worker/main.ts',
      `exec sh -c 'printf %s "$DTQ_INSTANCE"'`,
    );
    const instance = (env: Record<string, string>) =>
      execFileSync('sh', ['-c', script], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' });
    expect(instance({})).toBe(`worker-${execFileSync('hostname', { encoding: 'utf8' }).trim()}`);
    expect(instance({ DTQ_INSTANCE: 'worker-special' })).toBe('worker-special');
  });

  it('offers the load generator under a profile, aimed at nginx', () => {
    const load = services.load ?? {};
    expect(load.profiles).toEqual(['load']);
    expect(nodeEntry(load)).toBe('workload/load/main.ts');
    expect(argv(load)).toContain(`http://nginx:${nginxOptions.listen}`);
    expect(load.depends_on?.nginx?.condition).toBe('service_healthy');
  });

  it('runs the APIs and workers with fault injection off unless DTQ_FAULTS=1 is set', () => {
    const faulted = ['api-1', 'api-2', 'api-3', 'worker'];
    for (const name of faulted) {
      const value = String(services[name]?.environment?.DTQ_FAULTS);
      expect(interpolate(value), name).toBe('0');
      expect(interpolate(value, { DTQ_FAULTS: '1' }), name).toBe('1');
    }
    // The load generator asks for faulted tasks only when told to, like the stack it targets.
    expect(argv(services.load ?? {})).not.toContain('--faults');
  });

  it('passes every nginx limit variable to the config renderer, unset by default', () => {
    const env = services['nginx-config']?.environment ?? {};
    for (const name of Object.values(NGINX_LIMIT_ENV)) {
      expect(String(env[name]), name).toBe(`\${${name}:-}`);
      expect(interpolate(String(env[name]))).toBe('');
    }
  });
});

describe('docker-compose.yml ports, volumes and health', () => {
  it('publishes nginx 8080, Kibana 5601 and Elasticsearch 9200 on loopback, each host port once', () => {
    const published = Object.entries(services).flatMap(([name, service]) =>
      publishedPorts(service).map((port) => ({ name, ...port })),
    );
    const hostPorts = published.map((port) => port.hostPort);
    expect(new Set(hostPorts).size).toBe(hostPorts.length);
    expect(published.every((port) => port.host === '127.0.0.1')).toBe(true);
    expect(published.map(({ name, hostPort, containerPort }) => [name, hostPort, containerPort])).toEqual([
      ['nginx', 8080, nginxOptions.listen],
      ['elasticsearch', 9200, 9200],
      ['kibana', 5601, 5601],
    ]);
    expect(DEFAULT_ES_URL).toBe('http://127.0.0.1:9200');
  });

  it('declares every named volume it mounts, and mounts every one it declares', () => {
    const used = new Set(
      Object.values(services).flatMap((service) => namedMounts(service).map((mount) => mount.volume)),
    );
    expect([...used].sort()).toEqual(Object.keys(compose.volumes).sort());
  });

  it('mounts the log volume where every writer writes and the shipper reads (DTQ_LOG_DIR)', () => {
    for (const [name, service] of Object.entries(services).filter(([name]) => projectImage(name))) {
      const logMount = namedMounts(service).find((mount) => mount.volume === 'logs');
      expect(logMount?.target, `${name} mounts logs`).toBe(LOG_DIR);
      expect(logMount?.readOnly).toBe(false);
      if (name !== 'nginx-config') expect(service.environment?.DTQ_LOG_DIR, `${name} DTQ_LOG_DIR`).toBe(LOG_DIR);
    }
    // nginx writes its NDJSON access log into the same directory the shipper tails.
    expect(nginxOptions.logDir).toBe(LOG_DIR);
    expect(namedMounts(services.nginx ?? {}).find((mount) => mount.volume === 'logs')?.target).toBe(LOG_DIR);
    // The rendered config reaches nginx through the nginx-conf volume, at the runDir it names.
    for (const name of ['nginx-config', 'nginx']) {
      expect(namedMounts(services[name] ?? {}).find((mount) => mount.volume === 'nginx-conf')?.target).toBe(
        nginxOptions.runDir,
      );
    }
    expect(argv(services.nginx ?? {}).join(' ')).toContain(`-c ${nginxOptions.runDir}/nginx.conf`);
  });

  it('has the image own every directory a named volume is mounted on for its services', () => {
    // Docker initialises an empty named volume from the image's directory, owner included; a
    // directory the image lacks becomes root's, and the `node` user could not write to it.
    const chown = /^RUN mkdir -p .* && chown node:node (.+)$/m.exec(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
    const owned = new Set(chown?.[1]?.split(' ') ?? []);
    const targets = Object.entries(services)
      .filter(([name]) => projectImage(name))
      .flatMap(([, service]) => namedMounts(service).map((mount) => mount.target));
    expect(new Set(targets)).toEqual(new Set([LOG_DIR, nginxOptions.runDir]));
    for (const target of targets) expect(owned, `${target} owned by node in the image`).toContain(target);
  });

  it('health-checks every long-running server and waits on health or completion', () => {
    for (const name of ['redis', ...API_SERVICES, 'nginx', 'elasticsearch', 'kibana']) {
      expect(services[name]?.healthcheck?.test.length, `${name} has a healthcheck`).toBeGreaterThan(0);
    }
    for (const [name, service] of Object.entries(services)) {
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        expect(services[dependency], `${name} depends on a service that exists`).toBeDefined();
        const expected = ONE_SHOT.has(dependency)
          ? 'service_completed_successfully'
          : services[dependency]?.healthcheck
            ? 'service_healthy'
            : 'service_started';
        expect(condition, `${name} → ${dependency}`).toBe(expected);
      }
    }
    for (const name of ONE_SHOT) expect(services[name]?.restart).toBe('no');
  });

  it('orders startup: Redis before the APIs, the APIs before nginx, Elasticsearch and Kibana before setup', () => {
    const needs = (name: string) => Object.keys(services[name]?.depends_on ?? {});
    for (const name of [...API_SERVICES, 'worker']) expect(needs(name)).toContain('redis');
    expect(needs('nginx')).toEqual(expect.arrayContaining([...API_SERVICES, 'nginx-config']));
    expect(needs('setup')).toEqual(expect.arrayContaining(['elasticsearch', 'kibana']));
    expect(needs('shipper')).toContain('elasticsearch');
    expect(needs('kibana')).toContain('elasticsearch');
  });

  it('runs Redis with AOF on and noeviction', () => {
    const command = argv(services.redis ?? {}).join(' ');
    expect(command).toContain('--appendonly yes');
    expect(command).toContain('--maxmemory-policy noeviction');
    expect(namedMounts(services.redis ?? {})).toEqual([{ volume: 'redis-data', target: '/data', readOnly: false }]);
  });

  it('pins Elasticsearch and Kibana to one version, the one the local node runs', () => {
    const tag = (image: string | undefined) => image?.split(':').at(-1);
    expect(tag(services.elasticsearch?.image)).toBe(ES_VERSION);
    expect(tag(services.kibana?.image)).toBe(ES_VERSION);
    expect(services.elasticsearch?.environment).toMatchObject({
      'discovery.type': 'single-node',
      'xpack.security.enabled': 'false',
    });
    expect(namedMounts(services.elasticsearch ?? {})[0]?.volume).toBe('es-data');
  });

  it('points setup at Elasticsearch and Kibana by service name, so it imports the dashboards', () => {
    const env = services.setup?.environment ?? {};
    expect(env.DTQ_ES_URL).toBe('http://elasticsearch:9200');
    expect(env.DTQ_KIBANA_URL).toBe('http://kibana:5601');
    expect(services.shipper?.environment?.DTQ_ES_URL).toBe('http://elasticsearch:9200');
  });

  it('runs the shipper with the V8 flags of bin/dtq-ship.js, whose memory the benchmarks measure', () => {
    expect(services.shipper?.environment?.NODE_OPTIONS).toBe(shipNodeOptions().join(' '));
  });
});

describe('the nginx config for compose', () => {
  it('renders from the same template and renderer as the local stack', () => {
    const config = renderNginxConfig(nginxOptions);
    for (const upstream of nginxOptions.upstreams) expect(config).toContain(`server ${upstream} `);
    expect(config).toMatch(/^\s*listen 8080;/m);
    expect(config).toContain(`access_log ${LOG_DIR}/nginx.ndjson`);
    expect(config).toContain('user nginx;');
    expect(config).toContain('worker_processes auto;');
  });

  it('is written by the nginx-config command exactly as compose runs it', () => {
    const args = argv(services['nginx-config'] ?? {}).map((arg) => interpolate(arg));
    const options = { ...nginxOptions, logDir: join(temp, 'logs'), runDir: join(temp, 'run') };
    // The image's `node` is Node 24; here that is the Node running the tests.
    const output = execFileSync(args[0] === 'node' ? process.execPath : (args[0] as string), args.slice(1), {
      cwd: ROOT,
      env: { ...process.env, DTQ_NGINX_OPTIONS: JSON.stringify(options) },
      encoding: 'utf8',
    });
    expect(output).toContain(`nginx config written to ${join(temp, 'run', 'nginx.conf')}`);
    const written = readFileSync(join(temp, 'run', 'nginx.conf'), 'utf8');
    expect(written).toBe(renderNginxConfig(options));
    expect(existsSync(join(temp, 'run', 'temp'))).toBe(true);
  });
});
