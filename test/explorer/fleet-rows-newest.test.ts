import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fleetRows } from '../../explorer/fleet-feed.ts';
import { listRequests } from '../../explorer/model/list-view.ts';
import { RequestLedger } from '../../explorer/model/request-list.ts';
import { LogWriter, T0 } from './fixtures.ts';

describe('the plain list of a large window', () => {
  it('summarises only the newest rows, and they are the rows a sort of every request gives', () => {
    const request = fc.record({
      // Ids whose code-unit order and locale order differ, many requests in one millisecond.
      cid: fc
        .tuple(fc.constantFrom('a', 'b', 'B', 'c-1', 'c-10', 'c-2', 'é', 'z', 'Z', '0', '10', '9'), fc.nat(3))
        .map(([id, n]) => `${id}${'_'.repeat(n)}`),
      ms: fc.integer({ min: 0, max: 5 }),
      task: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.array(request, { maxLength: 60 }),
        fc.integer({ min: 1, max: 12 }),
        fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined }),
        (requests, limit, since) => {
          const w = new LogWriter();
          for (const [i, r] of requests.entries())
            w.post({ ms: r.ms, cid: r.cid, ...(r.task ? { taskId: `task-${i}` } : {}), status: r.task ? 202 : 400 });
          const ledger = new RequestLedger().addAll(w.hits());
          const filter = { limit, ...(since === undefined ? {} : { sinceMs: T0 + since }) };
          expect(fleetRows(ledger, filter, T0)).toEqual(listRequests(ledger.summaries(), filter));
        },
      ),
      { numRuns: 300 },
    );
  });
});
