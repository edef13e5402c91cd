/**
 * Saved-object versions our generated objects are written for. Kibana migrates an imported
 * object forward from its `typeMigrationVersion`, and refuses one that claims a version newer
 * than it knows, so each type carries the last migration its shape already includes:
 * index-pattern 8.0.0, lens 8.9.0 (formBased datasource since 8.6.0, metric formatter 8.9.0),
 * dashboard 8.9.0 (panel references extracted since 7.11.0; the newer model versions only add
 * optional attributes). Read from elastic/kibana's saved-object type registrations.
 */

/** Kibana version the dashboards are built and checked for (the compose image's). */
export const KIBANA_VERSION = '8.19.9';

/** Oldest Kibana that imports these objects: Lens 8.9.0 shapes. */
export const MIN_KIBANA_VERSION = '8.9.0';

/** `coreMigrationVersion` of every object. */
export const CORE_MIGRATION_VERSION = '8.8.0';

/** `typeMigrationVersion` per saved-object type. */
export const TYPE_MIGRATION_VERSIONS = {
  'index-pattern': '8.0.0',
  lens: '8.9.0',
  dashboard: '8.9.0',
} as const;

/** A saved-object type we generate. */
export type SavedObjectType = keyof typeof TYPE_MIGRATION_VERSIONS;

/** Compare two x.y.z versions: negative, zero or positive. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((part) => Number.parseInt(part, 10));
  const pb = b.split('.').map((part) => Number.parseInt(part, 10));
  for (let i = 0; i < 3; i += 1) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}
