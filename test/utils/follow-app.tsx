/** The explorer's App following one request of a log directory, as `dtq-explore --follow` runs it. */
import { render } from 'ink-testing-library';
import { App } from '../../explorer/components/App.tsx';
import { loadTrace, type TraceTarget } from '../../explorer/load-trace.ts';
import type { Trace } from '../../explorer/model/types.ts';
import { FileSource } from '../../explorer/sources/files.ts';

/** Load `correlationId` from `dir` at the real time and render it followed, 80×24, without colour. */
export async function renderFollowed(
  dir: string,
  correlationId: string,
): Promise<{ app: ReturnType<typeof render>; initial: Trace }> {
  const source = new FileSource(dir);
  const load = async (target: TraceTarget) => (await loadTrace(source, target)).trace;
  const initial = await load({ correlationId });
  const app = render(
    <App
      target={{ correlationId }}
      initialTrace={initial}
      loadTrace={load}
      loadList={async () => []}
      follow
      size={{ columns: 80, rows: 24 }}
      noColor
    />,
  );
  return { app, initial };
}
