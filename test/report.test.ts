/**
 * bench report: the page of a real (tiny) run with three encoders, opened in Debian's headless Chromium. It must
 * load without console errors, every chart must have drawn marks, the frames must load, a screenshot must not be
 * blank, and the file must be self-contained (no http anywhere). Chromium is required: the test fails, naming how
 * to install it, when it is missing.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PNG } from 'pngjs';
import puppeteer, { type Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import '../src/envs/index.js';
import { runBenchmark } from '../src/run/runner.js';
import { describeCpu } from '../src/run/versions.js';
import { tinyProfile } from './helpers/tiny_profile.js';
import { fakeEncoderDeps } from './helpers/fake_encoders.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** The launch flags for a sandboxed CI machine without a GPU or network. */
const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** The DOM properties read in the page (the test's TypeScript has no DOM library). */
interface LoadedImage {
  naturalWidth: number;
  naturalHeight: number;
}
interface RenderedElement {
  innerText: string;
}

const root = mkdtempSync(join(tmpdir(), 'bench-report-'));
const out = join(root, 'run');
const page = join(root, 'report.html');
let browser: Browser | undefined;
afterAll(async () => {
  await browser?.close();
  rmSync(root, { recursive: true, force: true });
});

const tiny = tinyProfile({ evalEpisodes: 3, evalEvery: 2, seeds: [1, 2] });

describe('bench report', () => {
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's chromium (apt-get install -y chromium) or set CHROMIUM_PATH`);
    }
    await runBenchmark({
      benchmark: 'cortexbench',
      tasks: ['reacher-easy', 'button-press-topdown'],
      encoders: ['grid-2', 'grid-4', 'grid-8'],
      profile: tiny,
      out,
      cacheDir: join(root, 'cache'),
      quiet: true,
      log: () => {},
      deps: fakeEncoderDeps,
    });
    const log = console.log;
    console.log = () => {};
    try {
      await main(['report', out, '--out', page]);
    } finally {
      console.log = log;
    }
    browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS, userDataDir: join(root, 'chromium-profile') });
  });

  it('is one self-contained file: no http, no external script, stylesheet or image', () => {
    const html = readFileSync(page, 'utf8');
    expect(html).not.toMatch(/http/i);
    expect(html).not.toMatch(/<script[^>]*\ssrc=|<link\s|url\(/i);
    for (const m of html.matchAll(/<img [^>]*src="([^"]*)"/g)) expect(m[1]).toMatch(/^data:image\/png;base64,/);
  });

  it('opens in headless Chromium without console errors, with marks in every chart, frames and a non-blank screenshot', async () => {
    const tab = await browser!.newPage();
    const errors: string[] = [];
    tab.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    tab.on('pageerror', (e) => errors.push(String(e)));
    tab.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
    await tab.setViewport({ width: 1200, height: 900 });
    await tab.goto(pathToFileURL(page).href, { waitUntil: 'load' });
    const charts = await tab.$$eval('figure.chart', (figures) =>
      figures.map((f) => ({ name: f.getAttribute('data-chart'), marks: f.querySelectorAll('svg .role-mark > *').length })),
    );
    expect(charts.map((c) => c.name)).toEqual(['task-scores', 'entropy-vs-mean', 'norm-histogram:grid-2', 'norm-histogram:grid-4', 'norm-histogram:grid-8']);
    for (const chart of charts) expect(chart.marks, `marks of chart ${chart.name}`).toBeGreaterThan(0);
    const frames = await tab.$$eval('figure.frames img', (imgs) => imgs.map((i) => [(i as unknown as LoadedImage).naturalWidth, (i as unknown as LoadedImage).naturalHeight]));
    expect(frames).toEqual([
      [8 * 64, 64],
      [8 * 64, 64],
    ]);
    const text = await tab.$eval('body', (b) => (b as unknown as RenderedElement).innerText);
    // (The tiny run's scores may all be equal, which leaves the correlation undefined: the page says so.)
    expect(text).toMatch(/entropy vs benchmark mean over 3 encoders: Pearson (-?[\d.]+ \(95% CI \[-1\.000, 1\.000\]\)|undefined)/);
    expect(text).toMatch(/warning: /);
    expect(text).toContain(`CPU ${describeCpu()}`);
    expect(text).toMatch(/not a Factor-World-style sweep/);

    const shot = PNG.sync.read(Buffer.from(await tab.screenshot({ fullPage: true })));
    const colours = new Set<number>();
    let nonWhite = 0;
    for (let i = 0; i < shot.data.length; i += 4) {
      const [r, g, b] = [shot.data[i]!, shot.data[i + 1]!, shot.data[i + 2]!];
      colours.add((r << 16) | (g << 8) | b);
      if (r < 240 || g < 240 || b < 240) nonWhite++;
    }
    expect(colours.size).toBeGreaterThan(100);
    expect(nonWhite / (shot.width * shot.height)).toBeGreaterThan(0.03);
    expect(errors).toEqual([]);
    await tab.close();
  });

  it('names a directory without results', async () => {
    await expect(main(['report', join(root, 'nowhere')])).rejects.toThrow(/no results.json in '.*nowhere'/);
  });
});
