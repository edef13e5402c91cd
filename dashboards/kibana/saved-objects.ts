/** All saved objects of the dtq dashboards, and their NDJSON form (Kibana's export/import format). */
import { DEFAULT_INDEX_PREFIX } from '../../contract/indices.ts';
import { DASHBOARDS } from '../definitions.ts';
import type { Dashboard } from '../model.ts';
import { dashboardObject } from './dashboard.ts';
import { dataViewObject } from './data-view.ts';
import { lensObject } from './lens.ts';
import { dataViewId, type SavedObject } from './saved-object.ts';

/** The data view, every panel's Lens object, then the dashboards: referenced objects first. */
export function savedObjects(
  prefix: string = DEFAULT_INDEX_PREFIX,
  dashboards: readonly Dashboard[] = DASHBOARDS,
): SavedObject[] {
  const viewId = dataViewId(prefix);
  return [
    dataViewObject(prefix),
    ...dashboards.flatMap((dashboard) => dashboard.panels.map((panel) => lensObject(panel, viewId))),
    ...dashboards.map(dashboardObject),
  ];
}

/** Saved objects as NDJSON: one object per line, newline-terminated. */
export function toNdjson(objects: readonly SavedObject[]): string {
  return objects.map((object) => `${JSON.stringify(object)}\n`).join('');
}

/** Path of the committed NDJSON, relative to the repository root. */
export const GENERATED_NDJSON = 'dashboards/generated/dtq.ndjson';
