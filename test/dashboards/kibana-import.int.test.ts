/**
 * The Kibana importer's decisions and messages. Kibana cannot run on this machine, so the
 * status and import answers are the shapes Kibana 8.x documents, fed to the pure functions;
 * the unreachable case uses a real closed port.
 */
import { describe, expect, it } from 'vitest';
import { importDashboards, importFailure, importForm, versionFromStatus } from '../../dashboards/kibana/import.ts';
import { savedObjects, toNdjson } from '../../dashboards/kibana/saved-objects.ts';
import { parseNdjson, validateSavedObjects } from '../../dashboards/kibana/validate.ts';
import { kibanaDashboardsStep } from '../../dashboards/setup-step.ts';
import { loadSetupSteps } from '../../elk/setup.ts';
import { freePort } from '../utils/free-port.ts';

const URL_ = 'http://kibana.test:5601';
const status = (number: string, level = 'available') => ({ version: { number }, status: { overall: { level } } });

describe('the Kibana importer', () => {
  it('takes the version of an available Kibana 8.19', () => {
    expect(versionFromStatus(URL_, 200, status('8.19.9'))).toBe('8.19.9');
  });

  it('refuses a Kibana older than 8.9 and names the version to use', () => {
    expect(() => versionFromStatus(URL_, 200, status('8.8.2'))).toThrow(
      expect.objectContaining({
        code: 'DTQ_ERR_KIBANA_TOO_OLD',
        message: expect.stringMatching(/Kibana 8\.8\.2 .* older than 8\.9\.0.*Use Kibana 8\.19\.9/),
      }),
    );
  });

  it('says Kibana is not ready while /api/status answers 503', () => {
    expect(() => versionFromStatus(URL_, 503, status('8.19.9', 'unavailable'))).toThrow(
      expect.objectContaining({
        code: 'DTQ_ERR_KIBANA_NOT_READY',
        message: expect.stringContaining('503 (unavailable)'),
      }),
    );
  });

  it('says Kibana is unreachable when nothing listens, and what to do', async () => {
    const port = await freePort();
    await expect(importDashboards({ kibanaUrl: `http://127.0.0.1:${port}`, timeoutMs: 5_000 })).rejects.toThrow(
      expect.objectContaining({
        code: 'DTQ_ERR_KIBANA_UNREACHABLE',
        message: expect.stringMatching(/ECONNREFUSED.*unset DTQ_KIBANA_URL/),
      }),
    );
  });

  it('rejects a Kibana URL that is not http(s)', async () => {
    await expect(importDashboards({ kibanaUrl: 'kibana:5601' })).rejects.toThrow(
      expect.objectContaining({ code: 'DTQ_ERR_KIBANA_BAD_URL' }),
    );
  });

  it('reads per-object errors out of an import answer', () => {
    expect(importFailure(200, { success: true, successCount: 31 })).toBeUndefined();
    expect(
      importFailure(200, {
        success: false,
        errors: [{ type: 'lens', id: 'dtq-lens-x', error: { type: 'missing_references' } }],
      }),
    ).toBe('lens:dtq-lens-x missing_references');
    expect(importFailure(400, { message: 'Invalid file extension .txt' })).toBe(
      'HTTP 400: Invalid file extension .txt',
    );
  });

  it('sends the objects as one .ndjson file part that parses back to a valid set', async () => {
    const form = importForm(toNdjson(savedObjects('compose-logs')));
    const parsed = await new Response(form.body, { headers: { 'content-type': form.contentType } }).formData();
    const file = parsed.get('file') as File;
    expect(file.name).toBe('dtq.ndjson');
    const objects = parseNdjson(await file.text());
    expect(validateSavedObjects(objects)).toEqual([]);
    expect(objects[0]).toMatchObject({ type: 'index-pattern', attributes: { title: 'compose-logs-*' } });
  });

  it('is an elk:setup step that skips when DTQ_KIBANA_URL is unset', async () => {
    const steps = await loadSetupSteps();
    expect(steps.map((step) => step.name)).toContain('kibana-dashboards');
    const result = await kibanaDashboardsStep.run({ prefix: 'dtq-logs', env: {} } as Parameters<
      typeof kibanaDashboardsStep.run
    >[0]);
    expect(result).toEqual({ outcome: 'skipped', detail: 'DTQ_KIBANA_URL is not set' });
  });
});
