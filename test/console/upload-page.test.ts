import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Page } from 'playwright-core';
import { uploadPageUrl } from '../../src/presign/upload-page.js';
import { presignUrl } from '../../src/presign/url.js';
import { BLANK_PAGE, CHROMIUM_MISSING, FFMPEG_MISSING, launchChromium, startPageServer, type TestBrowser } from '../helpers/browser-harness.js';
import { s3Client } from '../helpers/clients.js';
import { httpRequest } from '../helpers/e2e-http.js';
import { buildConsoleUi, ConsoleClient, startConsoleServer, type ConsoleServer } from '../helpers/console.js';
import { ROOT_CREDENTIALS } from '../helpers/server.js';

const BUCKET = 'dropbox';
const SHOTS = fileURLToPath(new URL('../../test-artifacts/upload-page/', import.meta.url));
const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

interface Issued {
  readonly id: string;
  readonly url: string;
  readonly page: string;
  readonly fields?: Record<string, string>;
}

function latchkeyPresign(endpoint: string, args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { PATH: process.env['PATH'], HOME: tmpdir(), LATCHKEY_ENDPOINT: endpoint, AWS_ACCESS_KEY_ID: ROOT_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: ROOT_CREDENTIALS.secretAccessKey, AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', AWS_CONFIG_FILE: '/nonexistent' };
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', CLI, 'presign', ...args], { env, encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') reject(new Error(`latchkey failed to run: ${error.message}`));
      else resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
    });
  });
}

async function bodyOf(client: S3Client, key: string): Promise<string> {
  const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return (await got.Body?.transformToString()) ?? '';
}

async function keysUnder(client: S3Client, prefix: string): Promise<string[]> {
  const listed = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return (listed.Contents ?? []).map((c) => c.Key ?? '');
}

describe('the recipient\'s upload page', { skip: CHROMIUM_MISSING }, () => {
  let s: ConsoleServer;
  let client: S3Client;
  let owner: TestBrowser;
  let recipient: TestBrowser;
  let files: string;
  let api: ConsoleClient;

  before(async () => {
    buildConsoleUi();
    mkdirSync(SHOTS, { recursive: true });
    files = mkdtempSync(join(tmpdir(), 'latchkey-upload-page-'));
    writeFileSync(join(files, 'report.txt'), 'quarterly report\n');
    writeFileSync(join(files, 'photo.txt'), 'a small photo\n');
    writeFileSync(join(files, 'huge.bin'), Buffer.alloc(2 * 1024 * 1024, 7));
    s = await startConsoleServer();
    client = s3Client(s.server);
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    api = new ConsoleClient(s.console);
    await api.signIn(ROOT_CREDENTIALS);
    owner = await launchChromium();
    // A second browser with its own profile: no console cookie, nothing but the link.
    recipient = await launchChromium();
  });
  after(async () => {
    client?.destroy();
    await owner?.close();
    await recipient?.close();
    await s?.server.stop();
    if (files) rmSync(files, { recursive: true, force: true });
  });

  async function openAsRecipient(url: string): Promise<Page> {
    const page = await recipient.newPage();
    await page.setViewportSize({ width: 900, height: 700 });
    await page.goto(url);
    return page;
  }

  test('a one-key upload link made in the console opens a page where a signed-out person uploads with progress', async () => {
    const page = await owner.newPage();
    await page.setViewportSize({ width: 1200, height: 800 });
    await page.goto(s.console);
    await page.getByLabel('Access key ID').fill(ROOT_CREDENTIALS.accessKeyId);
    await page.getByLabel('Secret access key').fill(ROOT_CREDENTIALS.secretAccessKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: BUCKET }).click();
    await page.getByRole('button', { name: 'Create upload link' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create upload link' });
    await dialog.getByLabel('Object key').fill('inbox/report.txt');
    await dialog.getByRole('button', { name: 'Create upload link' }).click();
    const link = await dialog.getByLabel('Link', { exact: true }).inputValue();
    assert.ok(link.startsWith(`${s.server.endpoint}/_latchkey/upload#`), link);
    await page.screenshot({ path: join(SHOTS, 'console-upload-link.png') });
    await page.close();

    const upload = await openAsRecipient(link);
    await upload.getByRole('heading', { name: 'Upload a file' }).waitFor();
    await upload.getByText(`${BUCKET}/inbox/report.txt`, { exact: true }).waitFor();
    await upload.getByText(/\(in (59|60) minutes\)$/).waitFor();
    await upload.screenshot({ path: join(SHOTS, 'recipient-before.png') });
    await upload.locator('#recipient-file').setInputFiles(join(files, 'report.txt'));
    await upload.getByRole('status').filter({ hasText: `Uploaded report.txt (17 B) as ${BUCKET}/inbox/report.txt. You can close this page.` }).waitFor();
    assert.equal(await upload.getByLabel('Upload progress of report.txt').getAttribute('value'), '17');
    await upload.screenshot({ path: join(SHOTS, 'recipient-done.png') });
    assert.equal(await bodyOf(client, 'inbox/report.txt'), 'quarterly report\n');
    // The signed form never reached the server: it was only in the fragment.
    assert.equal(s.server.logs.some((line) => line.includes('X-Amz-Signature') || line.includes('_latchkey/upload#')), false);
    await upload.close();
  });

  test('a prefix link with a size limit: a larger file is stopped before sending; a small one lands under the prefix', async () => {
    const issued = (await api.call('POST', '/api/upload-links', { bucket: BUCKET, key: 'guests/', prefix: true, expiresIn: 3600, maxSize: 1024 * 1024 })).json as unknown as Issued;
    assert.ok(issued.page.startsWith(`${s.server.endpoint}/_latchkey/upload#`));
    const page = await openAsRecipient(issued.page);
    await page.getByRole('heading', { name: 'Upload files' }).waitFor();
    await page.getByText('Up to 1.0 MiB').waitFor();
    await page.locator('#recipient-file').setInputFiles(join(files, 'huge.bin'));
    await page.getByRole('alert').filter({ hasText: 'huge.bin: This file is 2.0 MiB; the link accepts at most 1.0 MiB.' }).waitFor();
    await page.locator('#recipient-file').setInputFiles([join(files, 'photo.txt'), join(files, 'report.txt')]);
    await page.getByRole('status').filter({ hasText: `Uploaded photo.txt (14 B) as ${BUCKET}/guests/photo.txt.` }).waitFor();
    await page.getByRole('status').filter({ hasText: `Uploaded report.txt (17 B) as ${BUCKET}/guests/report.txt.` }).waitFor();
    await page.screenshot({ path: join(SHOTS, 'recipient-prefix.png'), fullPage: true });
    assert.deepEqual(await keysUnder(client, 'guests/'), ['guests/photo.txt', 'guests/report.txt']);
    await page.close();
  });

  test('a revoked link: the upload fails with a red reason, S3\'s code and the request id; nothing is stored', async () => {
    const issued = (await api.call('POST', '/api/upload-links', { bucket: BUCKET, key: 'revoked/x.txt', prefix: false, expiresIn: 3600 })).json as unknown as Issued;
    assert.equal((await api.call('POST', `/api/links/${issued.id}/revoke`)).status, 200);
    const page = await openAsRecipient(issued.page);
    await page.locator('#recipient-file').setInputFiles(join(files, 'report.txt'));
    const alert = page.getByRole('alert').filter({ hasText: 'report.txt: The link has been revoked by the person who shared it. (AccessDenied, request ' });
    await alert.waitFor();
    assert.match((await alert.textContent()) ?? '', /request [0-9A-F]{16}\)$/);
    await page.getByText('Failed', { exact: true }).waitFor();
    await page.screenshot({ path: join(SHOTS, 'recipient-failed.png') });
    await assert.rejects(client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'revoked/x.txt' })), { name: 'NotFound' });
    await page.close();
  });

  test('an expired link says so and offers no file picker; a damaged fragment says the link is incomplete', async () => {
    const signed = presignUrl({ endpoint: s.server.endpoint, bucket: BUCKET, key: 'late.txt', method: 'PUT', expiresIn: 60, credentials: ROOT_CREDENTIALS, region: s.server.region, now: Date.now() - 3_600_000 });
    const page = await openAsRecipient(uploadPageUrl(s.server.endpoint, { put: signed.url }));
    await page.getByRole('alert').filter({ hasText: 'This upload link has expired. Ask the person who sent it for a new one.' }).waitFor();
    assert.equal(await page.locator('#recipient-file').count(), 0);
    await page.screenshot({ path: join(SHOTS, 'recipient-expired.png') });
    await page.goto(`${s.server.endpoint}/_latchkey/upload#not-a-form`);
    await page.getByRole('heading', { name: 'This upload link is incomplete' }).waitFor();
    await page.close();
  });

  test('`latchkey presign --method PUT --upload-page` makes a page link; the required content type is sent', async () => {
    const made = await latchkeyPresign(s.server.endpoint, [`s3://${BUCKET}/from-cli/notes.txt`, '--method', 'PUT', '--content-type', 'text/plain', '--expires-in', '15m', '--upload-page']);
    assert.equal(made.code, 0, made.stderr);
    const link = made.stdout.trim();
    assert.ok(link.startsWith(`${s.server.endpoint}/_latchkey/upload#`), link);
    const page = await openAsRecipient(link);
    await page.getByText('text/plain', { exact: true }).waitFor();
    await page.locator('#recipient-file').setInputFiles(join(files, 'photo.txt'));
    await page.getByRole('status').filter({ hasText: 'Uploaded photo.txt' }).waitFor();
    const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'from-cli/notes.txt' }));
    assert.equal(head.ContentType, 'text/plain');
    await page.close();
    const refused = await latchkeyPresign(s.server.endpoint, [`s3://${BUCKET}/x`, '--upload-page']);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /--upload-page needs --method PUT/);
  });

  test('a download link keeps its chosen file name in the recipient\'s browser, and a video link seeks', { skip: FFMPEG_MISSING }, async () => {
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'out/r.txt', Body: 'the report' }));
    const named = (await api.call('POST', '/api/share', { bucket: BUCKET, key: 'out/r.txt', expiresIn: 600, downloadName: 'Résumé 2026.txt' })).json as unknown as Issued;
    const page = await recipient.newPage();
    try {
      const [download] = await Promise.all([page.waitForEvent('download'), page.goto(named.url).catch(() => undefined)]);
      assert.equal(download.suggestedFilename(), 'Résumé 2026.txt');
      assert.equal(readFileSync(await download.path()).toString(), 'the report');

      const dir = mkdtempSync(join(tmpdir(), 'latchkey-clip-'));
      try {
        execFileSync('ffmpeg', ['-loglevel', 'error', '-nostdin', '-y', '-f', 'lavfi', '-i', 'testsrc=duration=2:size=64x48:rate=10', '-c:v', 'libvpx', '-g', '5', '-an', join(dir, 'clip.webm')]);
        await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'out/clip.webm', Body: readFileSync(join(dir, 'clip.webm')), ContentType: 'video/webm' }));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      const video = (await api.call('POST', '/api/share', { bucket: BUCKET, key: 'out/clip.webm', expiresIn: 600 })).json as unknown as Issued;
      const pages = await startPageServer({ '/': BLANK_PAGE });
      try {
        await page.goto(`${pages.origin}/`);
        const seekedTo = await page.evaluate<number>(`new Promise((resolve, reject) => {
          const v = document.createElement('video');
          v.muted = true;
          v.addEventListener('error', () => reject(new Error('media error ' + (v.error && v.error.code))));
          v.addEventListener('loadedmetadata', () => { v.currentTime = 1.5; }, { once: true });
          v.addEventListener('seeked', () => resolve(v.currentTime), { once: true });
          v.src = ${JSON.stringify(video.url)};
          document.body.appendChild(v);
        })`);
        assert.ok(Math.abs(seekedTo - 1.5) < 0.01, String(seekedTo));
      } finally {
        await pages.close();
      }
    } finally {
      await page.close();
    }
  });

  test('the page is static and locked down; other /_latchkey paths still reach the admin API', async () => {
    const page = await fetch(`${s.server.endpoint}/_latchkey/upload`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(page.headers.get('content-security-policy') ?? '', /connect-src 'self'/);
    assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
    const script = await fetch(`${s.server.endpoint}/_latchkey/upload/js/upload-page.js`);
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.equal((await httpRequest(`${s.server.endpoint}/_latchkey/upload/../../etc/passwd`, { method: 'GET' })).status, 404);
    assert.equal((await fetch(`${s.server.endpoint}/_latchkey/upload/js/nope.js`)).status, 404);
    const post = await fetch(`${s.server.endpoint}/_latchkey/upload`, { method: 'POST', body: 'x' });
    assert.equal(post.status, 405);
    const admin = await fetch(`${s.server.endpoint}/_latchkey/admin/v1/users`);
    assert.equal(admin.status, 403);
    assert.match(admin.headers.get('content-type') ?? '', /json/);
  });
});
