import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The folders that ship: which of them imports which, read from the source. Biome's
// noRestrictedImports (biome.json) forbids the wrong directions file by file; this test
// proves the whole graph has no cycle, which a per-file rule cannot see.
const ROOT = resolve(import.meta.dirname, '../..');
const FOLDERS = ['contract', 'instrumentation', 'elk', 'shipper', 'explorer', 'dashboards', 'workload'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'generated' ? [] : sourceFiles(path);
    return /\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

function folderGraph(): Map<string, Set<string>> {
  const graph = new Map(FOLDERS.map((folder) => [folder, new Set<string>()]));
  for (const folder of FOLDERS) {
    for (const file of sourceFiles(join(ROOT, folder))) {
      for (const [, spec] of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
        const target = relative(ROOT, resolve(dirname(file), spec as string)).split('/')[0] as string;
        if (target !== folder && FOLDERS.includes(target)) graph.get(folder)?.add(target);
      }
    }
  }
  return graph;
}

function findCycle(graph: Map<string, Set<string>>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === 'open') return [...path.slice(path.indexOf(node)), node];
    if (state.get(node) === 'done') return undefined;
    state.set(node, 'open');
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

describe('folder layers', () => {
  it('has no cycle between the top-level folders', () => {
    expect(findCycle(folderGraph())).toBeUndefined();
  });

  it('keeps contract/ free of every other folder', () => {
    expect([...(folderGraph().get('contract') ?? [])]).toEqual([]);
  });

  it('keeps the product folders off the reference workload', () => {
    const graph = folderGraph();
    for (const folder of ['instrumentation', 'elk', 'shipper', 'explorer', 'dashboards'])
      expect([folder, graph.get(folder)?.has('workload')]).toEqual([folder, false]);
  });

  it('finds a cycle when there is one', () => {
    const graph = new Map([
      ['a', new Set(['b'])],
      ['b', new Set(['c'])],
      ['c', new Set(['a'])],
    ]);
    expect(findCycle(graph)).toEqual(['a', 'b', 'c', 'a']);
  });
});
