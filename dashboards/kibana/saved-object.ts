/** The envelope every generated saved object shares, and the ids our objects use. */
import { CORE_MIGRATION_VERSION, type SavedObjectType, TYPE_MIGRATION_VERSIONS } from './versions.ts';

/** A reference from one saved object to another. */
export interface SavedObjectReference {
  readonly name: string;
  readonly type: string;
  readonly id: string;
}

/** A saved object as Kibana's export/import NDJSON carries it. */
export interface SavedObject {
  readonly id: string;
  readonly type: SavedObjectType;
  readonly attributes: Record<string, unknown>;
  readonly references: readonly SavedObjectReference[];
  readonly managed: boolean;
  readonly coreMigrationVersion: string;
  readonly typeMigrationVersion: string;
}

/** Wrap attributes and references into a saved object of a type. */
export function savedObject(
  type: SavedObjectType,
  id: string,
  attributes: Record<string, unknown>,
  references: readonly SavedObjectReference[] = [],
): SavedObject {
  return {
    id,
    type,
    attributes,
    references,
    managed: false,
    coreMigrationVersion: CORE_MIGRATION_VERSION,
    typeMigrationVersion: TYPE_MIGRATION_VERSIONS[type],
  };
}

/** Id of the data view over an index prefix's indices. */
export function dataViewId(prefix: string): string {
  return `${prefix}-data-view`;
}

/** Id of a panel's Lens visualization. */
export function lensId(panelId: string): string {
  return `dtq-lens-${panelId}`;
}

/** Id of a dashboard. */
export function dashboardId(id: string): string {
  return `dtq-dashboard-${id}`;
}
