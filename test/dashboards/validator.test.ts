/**
 * The saved-object validator catches what Kibana would reject or fail to render: each case
 * breaks one thing in an otherwise valid set and expects the matching problem.
 */
import { describe, expect, it } from 'vitest';
import { savedObjects } from '../../dashboards/kibana/saved-objects.ts';
import { validateSavedObjects } from '../../dashboards/kibana/validate.ts';

// biome-ignore lint/suspicious/noExplicitAny: each case pokes deep into generated JSON to break one thing.
type Mutable = Record<string, any>;

function objectsWith(change: (objects: Mutable[]) => void): string[] {
  const objects = structuredClone(savedObjects()) as Mutable[];
  change(objects);
  return validateSavedObjects(objects);
}

const lens = (objects: Mutable[], id: string): Mutable =>
  objects.find((object) => object.id === `dtq-lens-${id}`) as Mutable;
const dashboard = (objects: Mutable[], id: string): Mutable =>
  objects.find((object) => object.id === `dtq-dashboard-${id}`) as Mutable;
const layerOf = (object: Mutable): Mutable =>
  Object.values(object.attributes.state.datasourceStates.formBased.layers)[0] as Mutable;

describe('the saved-object validator', () => {
  it('accepts the generated set', () => {
    expect(validateSavedObjects(savedObjects())).toEqual([]);
  });

  it('reports a reference to an object that is not in the set', () => {
    const problems = objectsWith((objects) => {
      objects.splice(
        objects.findIndex((object) => object.id === 'dtq-lens-api-latency'),
        1,
      );
    });
    expect(problems.join('\n')).toMatch(
      /api-latency:panel_api-latency points at lens:dtq-lens-api-latency, which is not in the set/,
    );
  });

  it('reports a dashboard attribute that Kibana forbids', () => {
    const problems = objectsWith((objects) => {
      dashboard(objects, 'errors').attributes.panels = [];
    });
    expect(problems.join('\n')).toMatch(/attribute panels is not allowed/);
  });

  it('reports a columnOrder that does not list the columns', () => {
    const problems = objectsWith((objects) => {
      layerOf(lens(objects, 'nginx-latency')).columnOrder.pop();
    });
    expect(problems.join('\n')).toMatch(/columnOrder must list each column exactly once/);
  });

  it('reports a percentile outside (0, 100)', () => {
    const problems = objectsWith((objects) => {
      layerOf(lens(objects, 'api-latency')).columns.p99.params.percentile = 100;
    });
    expect(problems.join('\n')).toMatch(/column p99: params.percentile must be a number in \(0, 100\)/);
  });

  it('reports an XY chart whose x axis is a metric', () => {
    const problems = objectsWith((objects) => {
      lens(objects, 'nginx-latency').attributes.state.visualization.layers[0].xAccessor = 'p50';
    });
    expect(problems.join('\n')).toMatch(/xAccessor must be a bucket column/);
  });

  it('reports a layer without its data view reference', () => {
    const problems = objectsWith((objects) => {
      lens(objects, 'slowest-requests').references = [];
    });
    expect(problems.join('\n')).toMatch(
      /has no index-pattern reference named indexpattern-datasource-layer-slowest-requests-layer/,
    );
  });

  it('reports a typeMigrationVersion newer than the shape', () => {
    const problems = objectsWith((objects) => {
      lens(objects, 'top-cache-hits').typeMigrationVersion = '10.9.0';
    });
    expect(problems.join('\n')).toMatch(/typeMigrationVersion 10.9.0 is newer than the 8.9.0/);
  });

  it('reports overlapping dashboard panels', () => {
    const problems = objectsWith((objects) => {
      const object = dashboard(objects, 'latency');
      const panels = JSON.parse(object.attributes.panelsJSON);
      panels[1].gridData.x = panels[0].gridData.x;
      panels[1].gridData.y = panels[0].gridData.y;
      object.attributes.panelsJSON = JSON.stringify(panels);
    });
    expect(problems.join('\n')).toMatch(/overlaps another panel/);
  });

  it('reports a terms column ordered by a column that is not a metric', () => {
    const problems = objectsWith((objects) => {
      const column = layerOf(lens(objects, 'failed-tasks')).columns['by-task-type'];
      column.params.orderBy = { type: 'column', columnId: 'by-error-code' };
    });
    expect(problems.join('\n')).toMatch(/is ordered by by-error-code, which is not a metric of the layer/);
  });

  it('reports a datatable that hides a layer column', () => {
    const problems = objectsWith((objects) => {
      lens(objects, 'queue-wait-by-queue').attributes.state.visualization.columns.pop();
    });
    expect(problems.join('\n')).toMatch(/is missing from the datatable columns/);
  });
});
