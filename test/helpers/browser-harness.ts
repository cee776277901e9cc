import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium, which CI installs (.ci/run); playwright-core never downloads a browser of its own here. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Browser tests are skipped with this reason on a machine without Chromium. */
export const CHROMIUM_MISSING = existsSync(CHROMIUM_PATH) ? false : `Chromium is not installed at ${CHROMIUM_PATH} (apt-get install chromium)`;

export const FFMPEG_MISSING = spawnSync('ffmpeg', ['-version']).error ? 'ffmpeg is not installed (apt-get install ffmpeg)' : false;

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];

export interface TestBrowser {
  readonly context: BrowserContext;
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/** A headless Chromium with a fresh profile, removed on close. */
export async function launchChromium(): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'latchkey-chromium-'));
  // launchPersistentContext is how Playwright takes a --user-data-dir: a fresh one per run, so nothing is cached across tests.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 60_000,
  });
  return {
    context,
    newPage: () => context.newPage(),
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export interface PageServer {
  /** e.g. http://127.0.0.1:41234: a different origin from the S3 server (another port). */
  readonly origin: string;
  close(): Promise<void>;
}

/** A second origin for the test pages: serves the given HTML documents by path, 404 otherwise. */
export async function startPageServer(pages: Readonly<Record<string, string>>): Promise<PageServer> {
  const server: Server = createServer((req, res) => {
    const html = pages[(req.url ?? '/').split('?')[0] ?? '/'];
    if (html === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const BLANK_PAGE = '<!doctype html><html><head><meta charset="utf-8"><title>latchkey browser test</title></head><body></body></html>';
