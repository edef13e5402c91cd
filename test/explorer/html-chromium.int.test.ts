/**
 * The --html page in a real browser: headless Chromium (scripts/install-system-deps.sh
 * --with-test-tools installs it) loads the page the binary wrote, dumps its DOM, takes a
 * screenshot and logs its network requests and console. The page must draw its rows in the
 * expected colours, log nothing to the console and ask the network for nothing.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runExplore } from './binary.ts';
import { deadLettered, duplicatesScenario } from './fixtures.ts';
import { removeDir, writeLogDir } from './helpers.ts';
import { HOSTILE_PATH } from './hostile-fixtures.ts';

const WIDTH = 1280;
const HEIGHT = 1400;

/** Chromium's flags: no sandbox (tests run as root), none of its own background traffic. */
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-extensions',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--enable-logging=stderr',
  '--v=0',
  `--window-size=${WIDTH},${HEIGHT}`,
];

function chromium(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      'chromium',
      [...FLAGS, ...args],
      { timeout: 90_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && (error as NodeJS.ErrnoException).code === 'ENOENT')
          reject(new Error('chromium is not installed: run scripts/install-system-deps.sh --with-test-tools'));
        else if (error) reject(error);
        else resolve({ stdout, stderr });
      },
    );
  });
}

/** Pixels of an 8-bit RGB or RGBA PNG, as [r, g, b] triples. */
function pngPixels(file: string): { width: number; height: number; rgb: (x: number, y: number) => number[] } {
  const bytes = readFileSync(file);
  let offset = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (offset < bytes.length) {
    const length = bytes.readUInt32BE(offset);
    const type = bytes.toString('latin1', offset + 4, offset + 8);
    const data = bytes.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      expect(data[8]).toBe(8);
      channels = data[9] === 6 ? 4 : data[9] === 2 ? 3 : 0;
      expect(channels).toBeGreaterThan(0);
    } else if (type === 'IDAT') idat.push(data);
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)] as number;
    for (let x = 0; x < stride; x++) {
      const cur = raw[y * (stride + 1) + 1 + x] as number;
      const a = x >= channels ? (out[y * stride + x - channels] as number) : 0;
      const b = y > 0 ? (out[(y - 1) * stride + x] as number) : 0;
      const c = x >= channels && y > 0 ? (out[(y - 1) * stride + x - channels] as number) : 0;
      const p = a + b - c;
      const paeth =
        Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c)
          ? a
          : Math.abs(p - b) <= Math.abs(p - c)
            ? b
            : c;
      const predictor = [0, a, b, (a + b) >> 1, paeth][filter] as number;
      out[y * stride + x] = (cur + predictor) & 0xff;
    }
  }
  return {
    width,
    height,
    rgb: (x, y) => [...out.subarray(y * stride + x * channels, y * stride + x * channels + 3)],
  };
}

let logs: string;
let work: string;

beforeAll(() => {
  ensureBuilt();
  const w = duplicatesScenario();
  deadLettered(w);
  // The dead-lettered request also meets a hostile path: markup and escapes in a logged value.
  w.nginx(3300, 'req-dlq-1', 'GET', HOSTILE_PATH, 404, 0.001);
  logs = writeLogDir(w);
  work = mkdtempSync(join(tmpdir(), 'dtq-html-'));
});

afterAll(() => {
  removeDir(logs);
  removeDir(work);
});

describe('dtq-explore --html in headless Chromium', () => {
  it('draws the waterfall in its colours, with no console message and no network request', async () => {
    const page = join(work, 'req-dlq-1.html');
    const run = await runExplore(['req-dlq-1', '--logs', logs, '--html', page]);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe(`wrote ${page}: the trace of req-dlq-1\n`);
    const url = `file://${page}`;

    const netLog = join(work, 'net.json');
    const dom = await chromium([`--log-net-log=${netLog}`, '--dump-dom', url]);
    expect(dom.stdout).toContain('<span class="status failed">FAILED</span>');
    expect(dom.stdout.match(/<tr class="row /g)?.length).toBeGreaterThanOrEqual(10);
    expect(dom.stdout).toContain('attempt 3 · worker-2');
    expect(dom.stdout).not.toMatch(/<script/i);
    // The logged escape is text in the page, not a control character.
    expect(dom.stdout).toContain('\\x1b]0;owned\\x07');
    expect(dom.stderr).not.toMatch(/CONSOLE|Uncaught|Refused to/);
    // Requests made for the page carry its file:// site; Chromium's own (none with these flags) would not.
    const events = (JSON.parse(readFileSync(netLog, 'utf8')) as { events: { params?: Record<string, unknown> }[] })
      .events;
    const fromPage = events.filter(
      (e) => typeof e.params?.url === 'string' && String(e.params.site_for_cookies ?? '').includes('file://'),
    );
    expect(fromPage.map((e) => e.params?.url)).toEqual([]);

    const shot = join(work, 'shot.png');
    const screenshot = await chromium([`--screenshot=${shot}`, url]);
    expect(screenshot.stderr).not.toMatch(/CONSOLE|Uncaught|Refused to/);
    const png = pngPixels(shot);
    expect([png.width, png.height]).toEqual([WIDTH, HEIGHT]);
    // Bars and badges are flat rectangles: the theme's exact colours are on screen.
    const counts = new Map<string, number>();
    for (let y = 0; y < png.height; y += 2)
      for (let x = 0; x < png.width; x += 2) {
        const key = png.rgb(x, y).join(',');
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    const blue = counts.get('9,105,218') ?? 0; // --bar #0969da: bars of the stages
    const red = counts.get('207,34,46') ?? 0; // --err #cf222e: the FAILED badge, failed attempts
    const white = counts.get('255,255,255') ?? 0;
    expect(blue).toBeGreaterThan(50);
    expect(red).toBeGreaterThan(50);
    expect(white).toBeGreaterThan((png.width * png.height) / 8);
  });
});
