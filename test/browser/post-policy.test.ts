import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import { presignPost, type PresignPostInput } from '../../src/presign/post.js';
import { CHROMIUM_MISSING, launchChromium, startPageServer, type PageServer, type TestBrowser } from '../helpers/browser-harness.js';
import { readDiskState } from '../helpers/disk-state.js';
import { md5Hex, parseS3Error, signedRequest } from '../helpers/e2e-http.js';
import { loggedLines, ROOT_CREDENTIALS, startServer, type TestServer } from '../helpers/server.js';

interface PageFile {
  readonly name: string;
  readonly mimeType: string;
  readonly buffer: Buffer;
}

interface PagePostResult {
  readonly ok: boolean;
  readonly status?: number;
  readonly etag?: string | null;
  readonly text?: string;
  readonly error?: string;
}

const DONE_PAGE = '<!doctype html><html><head><meta charset="utf-8"><title>uploaded</title></head><body>uploaded</body></html>';

/**
 * The app's upload page. renderForm puts a real <form> in it, as an app
 * renders presignPost's answer: every field a hidden input in order, then
 * the file input and a submit button. postWithFetch sends that form with
 * fetch(new FormData(form)), so the page sees the answer under its CORS rules.
 */
const FORM_PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>upload</title><script>
function renderForm(url, fields) {
  var form = document.createElement('form');
  form.id = 'upload'; form.action = url; form.method = 'post'; form.enctype = 'multipart/form-data';
  Object.keys(fields).forEach(function (name) {
    var input = document.createElement('input');
    input.type = 'hidden'; input.name = name; input.value = fields[name];
    form.appendChild(input);
  });
  var file = document.createElement('input');
  file.type = 'file'; file.name = 'file';
  var submit = document.createElement('button');
  submit.type = 'submit'; submit.textContent = 'Upload';
  form.appendChild(file); form.appendChild(submit);
  document.body.replaceChildren(form);
}
async function postWithFetch() {
  var form = document.getElementById('upload');
  try {
    var res = await fetch(form.action, { method: 'POST', body: new FormData(form) });
    return { ok: true, status: res.status, etag: res.headers.get('etag'), text: await res.text() };
  } catch (e) {
    return { ok: false, error: String(e) };
  }
}
</script></head><body></body></html>`;

interface FormPageApi {
  renderForm(url: string, fields: Readonly<Record<string, string>>): void;
  postWithFetch(): Promise<PagePostResult>;
}
// page.evaluate sends each function's source to the page, so they name the page's globals directly.

function corsConfig(origin: string): string {
  return `<CORSConfiguration><CORSRule><AllowedOrigin>${origin}</AllowedOrigin><AllowedMethod>POST</AllowedMethod><AllowedMethod>GET</AllowedMethod>` +
    '<ExposeHeader>ETag</ExposeHeader></CORSRule></CORSConfiguration>';
}

/** A fresh upload page with the form for this policy, and the file picked as a user would. */
async function renderForm(page: Page, pageOrigin: string, post: { url: string; fields: Readonly<Record<string, string>> }, file: PageFile): Promise<void> {
  await page.goto(`${pageOrigin}/`);
  await page.evaluate(([url, fields]) => (globalThis as unknown as FormPageApi).renderForm(url, fields), [post.url, post.fields] as const);
  await page.setInputFiles('#upload input[type=file]', file);
}

const fetchForm = (page: Page): Promise<PagePostResult> => page.evaluate(() => (globalThis as unknown as FormPageApi).postWithFetch());

describe('a page on another origin uploads with a POST policy form', { skip: CHROMIUM_MISSING }, () => {
  let server: TestServer;
  let pages: PageServer;
  let browser: TestBrowser;
  let page: Page;
  const policy = (input: Omit<PresignPostInput, 'endpoint' | 'bucket' | 'credentials' | 'region' | 'expiresIn'> & { bucket?: string }) =>
    presignPost({ endpoint: server.endpoint, bucket: 'forms', credentials: ROOT_CREDENTIALS, region: server.region, expiresIn: 600, ...input });
  const getObject = (bucket: string, key: string) => signedRequest(server, { method: 'GET', path: `/${bucket}/${key}` });

  before(async () => {
    server = await startServer();
    pages = await startPageServer({ '/': FORM_PAGE, '/done': DONE_PAGE });
    for (const bucket of ['forms', 'no-cors']) assert.equal((await signedRequest(server, { method: 'PUT', path: `/${bucket}` })).status, 200);
    assert.equal((await signedRequest(server, { method: 'PUT', path: '/forms?cors', body: corsConfig(pages.origin) })).status, 200);
    browser = await launchChromium();
    page = await browser.newPage();
  });
  after(async () => {
    await browser?.close();
    await pages?.close();
    await server?.stop();
  });

  test('fetch(FormData) of the form: 201, the page reads the PostResponse and ETag; the object has the bytes and Content-Type', async () => {
    const data = Buffer.from(`id,name\n${randomBytes(48 * 1024).toString('hex')}\n`);
    const post = policy({ keyPrefix: 'reports/', contentType: 'text/csv', contentLengthRange: [1, 1024 * 1024], successActionStatus: 201 });
    await renderForm(page, pages.origin, post, { name: 'q3 report.csv', mimeType: 'application/octet-stream', buffer: data });

    const result = await fetchForm(page);
    assert.equal(result.ok, true, result.error);
    assert.equal(result.status, 201, result.text);
    assert.equal(result.etag, `"${md5Hex(data)}"`, 'the ETag is readable only because the rule exposes it');
    // ${filename} in the key became the name the browser sent for the picked file.
    assert.match(result.text ?? '', /<Bucket>forms<\/Bucket><Key>reports\/q3 report\.csv<\/Key><ETag>&quot;[0-9a-f]{32}&quot;<\/ETag>/);

    const stored = await getObject('forms', 'reports/q3%20report.csv');
    assert.equal(stored.status, 200);
    assert.ok(stored.body.equals(data), 'stored bytes differ from the picked file');
    // The policy's Content-Type field wins over the type the browser gave the file part.
    assert.equal(stored.headers['content-type'], 'text/csv');
    assert.equal(server.logs.filter((l) => l.includes('"operation":"PreflightCors"')).length, 0, 'a form POST is a simple request: no preflight');
  });

  test('a plain form submit: 303 to success_action_redirect on the page origin, with bucket, key and etag', async () => {
    const data = randomBytes(200 * 1024 + 3);
    const post = policy({ key: 'photos/cat.png', contentType: 'image/png', contentLengthRange: [1, 1024 * 1024], successActionRedirect: `${pages.origin}/done` });
    await renderForm(page, pages.origin, post, { name: 'cat.png', mimeType: 'image/png', buffer: data });

    await Promise.all([page.waitForURL(`${pages.origin}/done?*`, { timeout: 30_000 }), page.click('#upload button[type=submit]')]);
    const landed = new URL(page.url());
    assert.equal(landed.origin, pages.origin);
    assert.deepEqual(Object.fromEntries(landed.searchParams), { bucket: 'forms', key: 'photos/cat.png', etag: `"${md5Hex(data)}"` });
    assert.equal(await page.textContent('body'), 'uploaded');

    const stored = await getObject('forms', 'photos/cat.png');
    assert.equal(stored.status, 200);
    assert.ok(stored.body.equals(data), 'stored bytes differ from the picked file');
    assert.equal(stored.headers['content-type'], 'image/png');
  });

  test('a file over content-length-range: the page reads 400 EntityTooLarge and nothing is stored', async () => {
    const before = readDiskState(server.dataDir);
    const data = randomBytes(64 * 1024);
    const post = policy({ key: 'big/too-large.bin', contentLengthRange: [1, 1024], successActionStatus: 201 });
    await renderForm(page, pages.origin, post, { name: 'too-large.bin', mimeType: 'application/octet-stream', buffer: data });

    const result = await fetchForm(page);
    assert.equal(result.ok, true, `the page could not read the refusal: ${result.error}`);
    assert.equal(result.status, 400);
    const error = parseS3Error(result.text ?? '');
    assert.equal(error.code, 'EntityTooLarge');
    assert.equal(error.message, 'Your proposed upload exceeds the maximum allowed size');
    assert.equal(error.fields['MaxSizeAllowed'], '1024');
    assert.equal(error.fields['ProposedSize'], String(data.length));

    assert.equal((await signedRequest(server, { method: 'HEAD', path: '/forms/big/too-large.bin' })).status, 404);
    const after = readDiskState(server.dataDir);
    assert.deepEqual(after.rows, before.rows, 'no object row was written');
    assert.deepEqual([...after.blobs.keys()].sort(), [...before.blobs.keys()].sort(), 'no blob was kept');
    assert.deepEqual(after.temp, [], 'the partial file was removed');
  });

  test('without a CORS rule the same refusal is opaque to the page, and still nothing is stored', async () => {
    const post = policy({ bucket: 'no-cors', key: 'too-large.bin', contentLengthRange: [1, 1024] });
    await renderForm(page, pages.origin, post, { name: 'too-large.bin', mimeType: 'application/octet-stream', buffer: randomBytes(8 * 1024) });
    const result = await fetchForm(page);
    assert.equal(result.ok, false, `the page should not see the answer: ${JSON.stringify(result)}`);
    assert.match(result.error ?? '', /TypeError: Failed to fetch/);
    const refused = await loggedLines(server, (l) => l.includes('"operation":"PostObject"') && l.includes('"bucket":"no-cors"'));
    assert.equal(refused.length, 1, 'the simple POST did reach the server');
    assert.match(refused[0] ?? '', /"status":400/);
    assert.equal((await signedRequest(server, { method: 'HEAD', path: '/no-cors/too-large.bin' })).status, 404);
  });
});
