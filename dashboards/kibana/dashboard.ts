/**
 * A dashboard definition as a Kibana 8.x dashboard saved object: panels by reference to
 * their Lens objects (panelRefName + a `<panelIndex>:panel_<panelIndex>` reference, the
 * shape Kibana's reference extraction writes), laid out on the 48-column grid.
 */
import type { Dashboard, Panel } from '../model.ts';
import { dashboardId, lensId, type SavedObject, type SavedObjectReference, savedObject } from './saved-object.ts';

/** Width of Kibana's dashboard grid in columns. */
export const GRID_COLUMNS = 48;

/** Grid position of a panel. */
export interface GridData {
  x: number;
  y: number;
  w: number;
  h: number;
  i: string;
}

/** Lay panels out left to right, wrapping to a new row when the next one does not fit. */
export function layout(panels: readonly Panel[]): GridData[] {
  const grid: GridData[] = [];
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  for (const panel of panels) {
    if (x + panel.size.w > GRID_COLUMNS) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    grid.push({ x, y, w: panel.size.w, h: panel.size.h, i: panel.id });
    x += panel.size.w;
    rowHeight = Math.max(rowHeight, panel.size.h);
  }
  return grid;
}

/** The dashboard saved object. */
export function dashboardObject(dashboard: Dashboard): SavedObject {
  const grid = layout(dashboard.panels);
  const references: SavedObjectReference[] = [];
  const panels = dashboard.panels.map((panel, index) => {
    const panelIndex = panel.id;
    references.push({ name: `${panelIndex}:panel_${panelIndex}`, type: 'lens', id: lensId(panel.id) });
    return {
      type: 'lens',
      panelIndex,
      gridData: grid[index],
      embeddableConfig: { enhancements: {} },
      panelRefName: `panel_${panelIndex}`,
    };
  });
  return savedObject(
    'dashboard',
    dashboardId(dashboard.id),
    {
      title: dashboard.title,
      description: dashboard.description,
      panelsJSON: JSON.stringify(panels),
      optionsJSON: JSON.stringify({
        useMargins: true,
        syncColors: false,
        syncCursor: true,
        syncTooltips: false,
        hidePanelTitles: false,
      }),
      timeRestore: true,
      timeFrom: 'now-1h',
      timeTo: 'now',
      refreshInterval: { pause: false, value: 30_000 },
      kibanaSavedObjectMeta: {
        searchSourceJSON: JSON.stringify({ query: { query: '', language: 'kuery' }, filter: [] }),
      },
    },
    references,
  );
}
