import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Page } from 'playwright-core';
import { startPresignedMultipartUpload, type PresignedMultipartUpload } from '../../src/presign/multipart.js';
import { BLANK_PAGE, CHROMIUM_MISSING, launchChromium, startPageServer, type PageServer, type TestBrowser } from '../helpers/browser-harness.js';
import { md5Hex, parseS3Error, sha256Hex, signedRequest } from '../helpers/e2e-http.js';
import { loggedLines, ROOT_CREDENTIALS, startServer, type TestServer } from '../helpers/server.js';

const MiB = 1024 * 1024;
const PART_SIZE = 5 * MiB;
const PART_COUNT = 6;
const FILE_SIZE = PART_SIZE * PART_COUNT;

interface PartAnswer {
  readonly partNumber: number;
  readonly ok: boolean;
  readonly status?: number;
  readonly etag?: string | null;
  readonly text?: string;
  readonly error?: string;
}

function corsConfig(origin: string, exposeEtag: boolean): string {
  return `<CORSConfiguration><CORSRule><AllowedOrigin>${origin}</AllowedOrigin><AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod>` +
    `${exposeEtag ? '<ExposeHeader>ETag</ExposeHeader>' : ''}</CORSRule></CORSConfiguration>`;
}

/** A 30 MiB file made in the page (random bytes, as a user's video would be), kept as a Blob; answers its SHA-256. */
function makeFileInPage(page: Page): Promise<string> {
  return page.evaluate(async (size) => {
    const bytes = new Uint8Array(size);
    // getRandomValues fills at most 64 KiB per call.
    for (let offset = 0; offset < size; offset += 65536) crypto.getRandomValues(bytes.subarray(offset, Math.min(size, offset + 65536)));
    (globalThis as unknown as { upload: Blob }).upload = new Blob([bytes]);
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
    return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
  }, FILE_SIZE);
}

/** The page PUTs slices of its file to the given part URLs, all at once, as browser uploaders do. */
function uploadPartsFromPage(page: Page, parts: readonly { partNumber: number; url: string }[]): Promise<PartAnswer[]> {
  return page.evaluate(async ({ parts, partSize }) => {
    const file = (globalThis as unknown as { upload: Blob }).upload;
    return Promise.all(
      parts.map(async ({ partNumber, url }) => {
        try {
          const body = file.slice((partNumber - 1) * partSize, partNumber * partSize);
          const res = await fetch(url, { method: 'PUT', body });
          return { partNumber, ok: true, status: res.status, etag: res.headers.get('etag'), text: await res.text() };
        } catch (e) {
          return { partNumber, ok: false, error: String(e) };
        }
      }),
    );
  }, { parts, partSize: PART_SIZE });
}

describe('a page uploads a 30 MiB file in 6 parts with pre-signed UploadPart URLs', { skip: CHROMIUM_MISSING }, () => {
  let server: TestServer;
  let pages: PageServer;
  let browser: TestBrowser;
  let page: Page;
  let fileSha256: string;
  /** The app server's side: it holds the credentials, the browser only ever sees part URLs. */
  const start = (key: string): Promise<PresignedMultipartUpload> =>
    startPresignedMultipartUpload({
      endpoint: server.endpoint, bucket: 'videos', key, partCount: PART_COUNT, credentials: ROOT_CREDENTIALS, region: server.region,
      expiresIn: 900, contentType: 'video/webm',
    });
  const setCors = async (exposeEtag: boolean) =>
    assert.equal((await signedRequest(server, { method: 'PUT', path: '/videos?cors', body: corsConfig(pages.origin, exposeEtag) })).status, 200);

  before(async () => {
    server = await startServer();
    pages = await startPageServer({ '/': BLANK_PAGE });
    assert.equal((await signedRequest(server, { method: 'PUT', path: '/videos' })).status, 200);
    browser = await launchChromium();
    page = await browser.newPage();
    await page.goto(`${pages.origin}/`);
    fileSha256 = await makeFileInPage(page);
  });
  after(async () => {
    await browser?.close();
    await pages?.close();
    await server?.stop();
  });

  test('without ExposeHeader ETag the part is stored but the page cannot read its ETag', async () => {
    await setCors(false);
    const upload = await start('hidden-etag.webm');
    try {
      const [answer] = await uploadPartsFromPage(page, upload.parts.slice(0, 1));
      assert.deepEqual({ ok: answer?.ok, status: answer?.status, error: answer?.error }, { ok: true, status: 200, error: undefined });
      assert.equal(answer?.etag, null, 'the browser hid the ETag header from the page');
      // The server did send it: ListParts shows the part with its ETag.
      const listed = await signedRequest(server, { method: 'GET', path: `/videos/hidden-etag.webm?uploadId=${encodeURIComponent(upload.uploadId)}` });
      assert.equal(listed.status, 200, listed.body.toString());
      assert.match(listed.body.toString(), /<Part><PartNumber>1<\/PartNumber>.*<ETag>&quot;[0-9a-f]{32}&quot;<\/ETag>/s);
    } finally {
      await upload.abort();
    }
  });

  test('with ExposeHeader ETag: six parts from the page, completed by the app server; the object is byte-identical', async (t) => {
    await setCors(true);
    const upload = await start('movie.webm');
    assert.equal(upload.parts.length, PART_COUNT);
    const started = Date.now();
    const answers = await uploadPartsFromPage(page, upload.parts);
    const seconds = (Date.now() - started) / 1000;
    for (const answer of answers) {
      assert.equal(answer.ok, true, `part ${answer.partNumber}: ${answer.error}`);
      assert.equal(answer.status, 200, `part ${answer.partNumber}: ${answer.text}`);
      assert.match(answer.etag ?? '', /^"[0-9a-f]{32}"$/, `part ${answer.partNumber}`);
    }
    const etags = answers.map((a) => a.etag ?? '');
    assert.equal(new Set(etags).size, PART_COUNT, 'random parts have distinct ETags');

    const completed = await upload.complete(etags);
    const downloaded = await signedRequest(server, { method: 'GET', path: '/videos/movie.webm' });
    assert.equal(downloaded.status, 200);
    assert.equal(downloaded.body.length, FILE_SIZE);
    assert.equal(sha256Hex(downloaded.body), fileSha256, 'the stored object is not the file the page made');
    assert.equal(downloaded.headers['content-type'], 'video/webm');
    // Each part's ETag is the MD5 of exactly its slice, and the object's is S3's MD5-of-MD5s with the part count.
    const partMd5s = etags.map((_, i) => md5Hex(downloaded.body.subarray(i * PART_SIZE, (i + 1) * PART_SIZE)));
    assert.deepEqual(etags, partMd5s.map((md5) => `"${md5}"`));
    const objectEtag = `"${createHash('md5').update(Buffer.concat(partMd5s.map((m) => Buffer.from(m, 'hex')))).digest('hex')}-${PART_COUNT}"`;
    assert.equal(completed.etag, objectEtag);
    assert.equal(downloaded.headers['etag'], objectEtag);
    const preflights = await loggedLines(server, (l) => l.includes('"operation":"PreflightCors"') && l.includes('"key":"movie.webm"'), PART_COUNT);
    assert.equal(preflights.length, PART_COUNT, 'every part URL differs, so the browser asked before each PUT');
    t.diagnostic(`${FILE_SIZE / MiB} MiB in ${PART_COUNT} parts from the page in ${seconds.toFixed(2)} s`);
  });

  test('a part URL whose partNumber was changed is refused with a 403 the page can read', async () => {
    await setCors(true);
    const upload = await start('tampered.webm');
    try {
      const first = upload.parts[0];
      assert.ok(first);
      const tampered = first.url.replace('partNumber=1&', 'partNumber=2&');
      assert.notEqual(tampered, first.url);
      const [answer] = await uploadPartsFromPage(page, [{ partNumber: 1, url: tampered }]);
      assert.equal(answer?.ok, true, answer?.error);
      assert.equal(answer?.status, 403);
      assert.equal(parseS3Error(answer?.text ?? '').code, 'SignatureDoesNotMatch');
      const listed = await signedRequest(server, { method: 'GET', path: `/videos/tampered.webm?uploadId=${encodeURIComponent(upload.uploadId)}` });
      assert.doesNotMatch(listed.body.toString(), /<Part>/, 'no part was stored');
    } finally {
      await upload.abort();
    }
  });
});
