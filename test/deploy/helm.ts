/**
 * Renders the chart in deploy/helm/dtq with the real `helm template` (var/tools/bin/helm, put
 * there by scripts/install-k8s-test-tools.sh) and parses what it printed into manifests.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { type Manifest, TOOLS_DIR } from './k8s-schemas.ts';

/** The chart's folder. */
export const CHART_DIR = join(import.meta.dirname, '..', '..', 'deploy', 'helm', 'dtq');
const HELM = join(TOOLS_DIR, 'bin', 'helm');

/** What `helm template` answered. */
export interface Rendering {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Run `helm template dtq <chart> --namespace dtq` with these extra arguments (-f, --set, …). */
export function helmTemplate(args: readonly string[]): Rendering {
  return runHelm(['template', 'dtq', CHART_DIR, '--namespace', 'dtq', ...args]);
}

/** Run helm with these arguments, offline and away from the user's own helm settings. */
export function runHelm(args: readonly string[]): Rendering {
  if (!existsSync(HELM)) {
    throw new Error(
      `${HELM} is missing: run scripts/install-system-deps.sh --with-test-tools (or scripts/install-k8s-test-tools.sh)`,
    );
  }
  const result = spawnSync(HELM, args, {
    encoding: 'utf8',
    // helm reads its own settings from these; an empty home keeps a user's repositories out.
    env: { PATH: process.env.PATH, HOME: TOOLS_DIR, HELM_CACHE_HOME: join(TOOLS_DIR, 'helm-cache') },
    timeout: 60_000,
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Render and parse, failing with helm's own message when it refused. */
export function renderManifests(args: readonly string[]): Manifest[] {
  const rendering = helmTemplate(args);
  if (rendering.status !== 0) throw new Error(`helm template failed (${rendering.status}): ${rendering.stderr}`);
  return parseAllDocuments(rendering.stdout)
    .map((document) => {
      if (document.errors.length > 0) throw new Error(`helm printed invalid YAML: ${document.errors[0]?.message}`);
      return document.toJS() as Manifest | null;
    })
    .filter((manifest): manifest is Manifest => manifest !== null);
}
