/**
 * The Elasticsearch distribution: the integ-test zip from Maven Central, fetched once with
 * Maven (so it lands in ~/.m2 and is cached across checkouts) and unpacked under var/.
 * That zip has no bundled JDK and only four modules (no ILM, no mapper-extras); see
 * docs/pipeline.md for what that means for the mapping and setup.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dtqError } from '../contract/dtq-error.ts';
import { envString } from '../contract/env.ts';
import { ES_ERRORS } from './errors.ts';

/** Newest 8.x on Maven Central that runs on Java 17 (8.19.10+ were never published there). */
export const ES_VERSION = '8.19.9';

/** Maven coordinates of the distribution zip. */
export const ES_ARTIFACT = `org.elasticsearch.distribution.integ-test-zip:elasticsearch:${ES_VERSION}:zip`;

/** The repository root (elk/..), so var/ is found whatever the working directory. */
export const REPO_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

/** Where unpacked distributions and the `npm run es` node's data live. */
export function esVarDir(): string {
  return join(REPO_ROOT, 'var', 'elasticsearch');
}

/** The JDK Elasticsearch runs on: ES_JAVA_HOME, else the Debian Java 17 path. */
export function esJavaHome(env: NodeJS.ProcessEnv = process.env): string {
  return envString('ES_JAVA_HOME', '/usr/lib/jvm/java-17-openjdk-amd64', env);
}

/** Path of the zip inside the local Maven repository. */
export function mavenZipPath(m2 = join(homedir(), '.m2', 'repository')): string {
  return join(
    m2,
    'org/elasticsearch/distribution/integ-test-zip/elasticsearch',
    ES_VERSION,
    `elasticsearch-${ES_VERSION}.zip`,
  );
}

function requireTool(tool: string, purpose: string): void {
  const found = spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
  if (!found) throw dtqError(ES_ERRORS.TOOL_MISSING, { tool, purpose });
}

/** Fetch the zip into ~/.m2 with Maven unless it is already there; returns its path. */
export function fetchDistributionZip(log: (line: string) => void = () => {}): string {
  const zip = mavenZipPath();
  if (existsSync(zip)) return zip;
  requireTool('mvn', 'fetch Elasticsearch from Maven Central');
  log(`fetching ${ES_ARTIFACT} with Maven (about 100 MB, once)`);
  const result = spawnSync('mvn', ['-q', '-B', 'dependency:get', `-Dartifact=${ES_ARTIFACT}`, '-Dtransitive=false'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (result.status !== 0 || !existsSync(zip)) {
    const reason = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-5).join(' | ');
    throw dtqError(ES_ERRORS.ARTIFACT_MISSING, { artifact: ES_ARTIFACT, reason: reason || `exit ${result.status}` });
  }
  return zip;
}

/**
 * The unpacked distribution's home directory, unpacking it on first use. Unpacking goes to a
 * private directory first and is renamed into place, so concurrent callers (test workers)
 * never see a half-unpacked tree.
 */
export function ensureDistribution(log: (line: string) => void = () => {}): string {
  const varDir = esVarDir();
  const home = join(varDir, `elasticsearch-${ES_VERSION}`);
  if (existsSync(join(home, 'bin', 'elasticsearch'))) return home;
  const zip = fetchDistributionZip(log);
  requireTool('unzip', 'unpack the Elasticsearch distribution');
  mkdirSync(varDir, { recursive: true });
  const staging = join(varDir, `.unpack-${process.pid}-${Date.now()}`);
  log(`unpacking ${zip} into ${varDir}`);
  execFileSync('unzip', ['-q', '-o', zip, '-d', staging]);
  try {
    renameSync(join(staging, `elasticsearch-${ES_VERSION}`), home);
  } catch (error) {
    // Another process won the race; its copy is identical.
    if (!existsSync(join(home, 'bin', 'elasticsearch'))) throw error;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return home;
}
