import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import { nodeCrypto } from '../../src/sigv4/node-crypto.js';
import { presign } from '../../src/sigv4/sign.js';
import { BLANK_PAGE, CHROMIUM_MISSING, launchChromium, startPageServer, type PageServer, type TestBrowser } from '../helpers/browser-harness.js';
import { md5Hex, parseS3Error, signedRequest } from '../helpers/e2e-http.js';
import { loggedLines, ROOT_CREDENTIALS, startServer, type TestServer } from '../helpers/server.js';

interface PageFetchResult {
  readonly ok: boolean;
  readonly status?: number;
  readonly etag?: string | null;
  readonly text?: string;
  readonly error?: string;
}

/** fetch() run inside the page, so the browser applies its CORS rules for the page's origin. */
function pageFetch(page: Page, url: string, init: { method: string; bodyBase64?: string; contentType?: string }): Promise<PageFetchResult> {
  return page.evaluate(async ({ url, init }) => {
    try {
      const body = init.bodyBase64 === undefined ? undefined : Uint8Array.from(atob(init.bodyBase64), (c) => c.charCodeAt(0));
      const headers: Record<string, string> = init.contentType === undefined ? {} : { 'content-type': init.contentType };
      const res = await fetch(url, { method: init.method, body, headers });
      return { ok: true, status: res.status, etag: res.headers.get('etag'), text: await res.text() };
    } catch (e) {
      return { ok: false, error: String(e) };
    }
  }, { url, init });
}

function corsConfig(origin: string): string {
  return `<CORSConfiguration><CORSRule><AllowedOrigin>${origin}</AllowedOrigin><AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod>` +
    '<AllowedHeader>content-type</AllowedHeader><ExposeHeader>ETag</ExposeHeader></CORSRule></CORSConfiguration>';
}

describe('a page on another origin uploads with a pre-signed PUT', { skip: CHROMIUM_MISSING }, () => {
  let server: TestServer;
  let pages: PageServer;
  let browser: TestBrowser;
  let page: Page;
  const presigned = (method: string, path: string, now = Date.now(), expiresIn = 300) =>
    presign({ method, url: `${server.endpoint}${path}`, credentials: ROOT_CREDENTIALS, region: server.region, now, crypto: nodeCrypto, expiresIn }).url;
  const logged = (operation: string, key: string, atLeast = 0) =>
    loggedLines(server, (line) => line.includes(`"operation":"${operation}"`) && line.includes(`"key":"${key}"`), atLeast);

  before(async () => {
    server = await startServer();
    pages = await startPageServer({ '/': BLANK_PAGE });
    for (const bucket of ['allowed', 'other-origin', 'no-cors']) {
      assert.equal((await signedRequest(server, { method: 'PUT', path: `/${bucket}` })).status, 200);
    }
    assert.equal((await signedRequest(server, { method: 'PUT', path: '/allowed?cors', body: corsConfig(pages.origin) })).status, 200);
    assert.equal((await signedRequest(server, { method: 'PUT', path: '/other-origin?cors', body: corsConfig('https://app.example.com') })).status, 200);
    browser = await launchChromium();
    page = await browser.newPage();
    await page.goto(`${pages.origin}/`);
  });
  after(async () => {
    await browser?.close();
    await pages?.close();
    await server?.stop();
  });

  test('the upload succeeds, the page reads the exposed ETag, and the server holds the exact bytes', async () => {
    const data = randomBytes(256 * 1024 + 7);
    const result = await pageFetch(page, presigned('PUT', '/allowed/from-browser.bin'), {
      method: 'PUT',
      bodyBase64: data.toString('base64'),
      contentType: 'application/octet-stream',
    });
    assert.deepEqual({ ok: result.ok, status: result.status, error: result.error }, { ok: true, status: 200, error: undefined });
    assert.equal(result.etag, `"${md5Hex(data)}"`, 'ETag is readable only because the rule exposes it');

    const stored = await signedRequest(server, { method: 'GET', path: '/allowed/from-browser.bin' });
    assert.equal(stored.status, 200);
    assert.equal(stored.headers['content-type'], 'application/octet-stream');
    assert.ok(stored.body.equals(data), 'stored bytes differ from the uploaded ones');
    // The browser asked first (content-type application/octet-stream is not a simple header) and was allowed.
    assert.equal((await logged('PreflightCors', 'from-browser.bin', 1)).filter((l) => l.includes('"status":200')).length, 1);
  });

  test('a bucket whose rules name another origin: the upload fails in the page and nothing is stored', async () => {
    for (const bucket of ['other-origin', 'no-cors']) {
      const key = `refused-${bucket}.bin`;
      const result = await pageFetch(page, presigned('PUT', `/${bucket}/${key}`), {
        method: 'PUT',
        bodyBase64: randomBytes(1024).toString('base64'),
        contentType: 'application/octet-stream',
      });
      assert.equal(result.ok, false, `${bucket}: fetch should have failed, got ${JSON.stringify(result)}`);
      assert.match(result.error ?? '', /TypeError: Failed to fetch/);
      const head = await signedRequest(server, { method: 'HEAD', path: `/${bucket}/${key}` });
      assert.equal(head.status, 404, `${bucket}: an object was stored`);
      // The preflight reached the server and was refused, so the PUT itself was never sent.
      assert.equal((await logged('PreflightCors', key, 1)).filter((l) => l.includes('"status":403')).length, 1, server.logs.join('\n'));
      assert.equal((await logged('PutObject', key)).length, 0);
    }
  });

  test("the page can read an error response's status and XML, because errors carry the CORS headers", async () => {
    const expired = presigned('GET', '/allowed/from-browser.bin', Date.now() - 120_000, 60);
    const result = await pageFetch(page, expired, { method: 'GET' });
    assert.equal(result.ok, true, result.error);
    assert.equal(result.status, 403);
    const error = parseS3Error(result.text ?? '');
    assert.equal(error.code, 'AccessDenied');
    assert.equal(error.message, 'Request has expired');

    // Without a matching rule the same failure is opaque to the page.
    const opaque = await pageFetch(page, presigned('GET', '/other-origin/x', Date.now() - 120_000, 60), { method: 'GET' });
    assert.equal(opaque.ok, false);
  });
});
