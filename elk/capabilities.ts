/**
 * What the connected Elasticsearch can do, detected rather than assumed: the Maven integ-test
 * zip lacks mapper-extras (no match_only_text) and ILM, the full distribution has both.
 */
import type { EsClient } from './client.ts';
import type { MappingCapabilities } from './mapping.ts';

/** Server features that change what setup installs. */
export interface ServerCapabilities extends MappingCapabilities {
  /** Index lifecycle management (module x-pack-ilm). */
  ilm: boolean;
  /** Server version, for notices. */
  version: string;
}

/** Names of the modules and plugins loaded on the nodes, and the version of one of them. */
async function loadedModules(client: EsClient): Promise<{ names: Set<string>; version: string }> {
  const info = await client.request<{
    nodes: Record<string, { version?: string; modules?: { name: string }[]; plugins?: { name: string }[] }>;
  }>('GET', '/_nodes/plugins');
  const names = new Set<string>();
  let version = 'unknown';
  for (const node of Object.values(info?.nodes ?? {})) {
    version = node.version ?? version;
    for (const module of node.modules ?? []) names.add(module.name);
    for (const plugin of node.plugins ?? []) names.add(plugin.name);
  }
  return { names, version };
}

async function answers(probe: () => Promise<unknown>): Promise<boolean> {
  try {
    await probe();
    return true;
  } catch {
    return false;
  }
}

/** Detect the capabilities of the cluster behind `client`. */
export async function detectCapabilities(client: EsClient): Promise<ServerCapabilities> {
  const { names, version } = await loadedModules(client);
  return {
    matchOnlyText: names.has('mapper-extras'),
    // The module list says whether ILM is there; the status call says whether it answers.
    ilm: names.has('x-pack-ilm') && (await answers(() => client.request('GET', '/_ilm/status'))),
    version,
  };
}
