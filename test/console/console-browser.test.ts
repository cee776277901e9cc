import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { Page } from 'playwright-core';
import { CHROMIUM_MISSING, launchChromium, type TestBrowser } from '../helpers/browser-harness.js';
import { s3Client, type TestCredentials } from '../helpers/clients.js';
import { buildConsoleUi, createUserWithPolicy, startConsoleServer, type ConsoleServer } from '../helpers/console.js';
import { httpRequest } from '../helpers/e2e-http.js';
import { ROOT_CREDENTIALS } from '../helpers/server.js';

const BUCKET = 'console-photos';
const SHOTS = fileURLToPath(new URL('../../test-artifacts/console/', import.meta.url));

/** Fetches a link from outside the browser, with the Host it was signed for. */
async function fetchLink(url: string): Promise<{ status: number; body: Buffer }> {
  const parsed = new URL(url);
  return httpRequest(url, { method: 'GET', headers: { host: parsed.host } });
}

async function signIn(page: Page, credentials: TestCredentials): Promise<void> {
  await page.getByLabel('Access key ID').fill(credentials.accessKeyId);
  await page.getByLabel('Secret access key').fill(credentials.secretAccessKey);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Waits until the table has exactly n rows (the page's CSP forbids waitForFunction's string evaluation). */
async function rowCount(page: Page, n: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  let count = -1;
  while (Date.now() < deadline) {
    count = await page.locator('tbody tr').count();
    if (count === n) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(`expected ${n} rows, found ${count}`);
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

describe('the web console in a real browser', { skip: CHROMIUM_MISSING }, () => {
  let s: ConsoleServer;
  let browser: TestBrowser;
  let page: Page;
  let files: string;
  const small = Buffer.from('hello from the console\n');
  const big = randomBytes(20 * 1024 * 1024);
  const notes = Buffer.from('notes inside a folder\n');
  let sharedUrl = '';
  let keptUrl = '';

  before(async () => {
    buildConsoleUi();
    mkdirSync(SHOTS, { recursive: true });
    files = mkdtempSync(join(tmpdir(), 'latchkey-console-files-'));
    writeFileSync(join(files, 'hello.txt'), small);
    writeFileSync(join(files, 'big.bin'), big);
    s = await startConsoleServer();
    browser = await launchChromium();
    page = await browser.newPage();
    await page.setViewportSize({ width: 1200, height: 800 });
  });
  after(async () => {
    await browser?.close();
    await s?.server.stop();
    if (files) rmSync(files, { recursive: true, force: true });
  });

  test('a wrong secret is refused with a clear message; the right one signs in', async () => {
    await page.goto(s.console);
    await shot(page, '01-sign-in');
    await signIn(page, { accessKeyId: ROOT_CREDENTIALS.accessKeyId, secretAccessKey: 'wrong' });
    await page.getByRole('alert').filter({ hasText: 'The access key ID or secret access key is not correct' }).waitFor();
    await signIn(page, ROOT_CREDENTIALS);
    await page.getByRole('heading', { name: 'Buckets', level: 1 }).waitFor();
    await page.getByText('Signed in as root').waitFor();
  });

  test('creates a bucket', async () => {
    await page.getByLabel('New bucket name').fill(BUCKET);
    await page.getByRole('button', { name: 'Create bucket' }).click();
    await page.getByRole('link', { name: BUCKET }).waitFor();
    await shot(page, '02-buckets');
  });

  test('uploads two files at once, the 20 MiB one in parts with its progress shown', async () => {
    await page.getByRole('link', { name: BUCKET }).click();
    await page.getByRole('heading', { name: BUCKET, level: 1 }).waitFor();
    // Every value the big file's progress bar takes, recorded in the page as it changes.
    await page.evaluate(`(() => {
      window.__progress = [];
      new MutationObserver((records) => {
        for (const r of records) {
          const el = r.target;
          if (el.tagName === 'PROGRESS' && (el.getAttribute('aria-label') || '').includes('big.bin')) window.__progress.push([el.value, el.max]);
        }
      }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['value'] });
    })()`);
    await page.locator('#upload-files').setInputFiles([join(files, 'hello.txt'), join(files, 'big.bin')]);
    await page.getByLabel('Upload progress of big.bin').waitFor();
    await page.getByLabel('Upload progress of hello.txt').waitFor();
    await page.locator('.uploads li', { hasText: 'big.bin' }).getByText('Done').waitFor({ timeout: 60_000 });
    await page.locator('.uploads li', { hasText: 'hello.txt' }).getByText('Done').waitFor();
    const progress = await page.evaluate<[number, number][]>('window.__progress');
    assert.ok(progress.some(([value, max]) => value > 0 && value < max), `the bar moved through intermediate values: ${JSON.stringify(progress.slice(0, 10))}`);
    assert.deepEqual(progress[progress.length - 1], [big.length, big.length]);
    await page.getByRole('button', { name: 'Details of big.bin' }).waitFor();
    await page.getByRole('button', { name: 'Details of hello.txt' }).waitFor();
    const head = await s3Client(s.server).send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'big.bin' }));
    assert.equal(head.ContentLength, big.length);
    assert.match(head.ETag ?? '', /-3"$/, 'three 8 MiB parts');
    await shot(page, '03-objects');
  });

  test('browses into a folder with breadcrumbs, shows metadata, downloads the same bytes', async () => {
    await s3Client(s.server).send(new PutObjectCommand({ Bucket: BUCKET, Key: 'docs/notes.txt', Body: notes, ContentType: 'text/plain', Metadata: { owner: 'ada' } }));
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: 'docs/' }).click();
    await page.getByRole('navigation', { name: 'Breadcrumb' }).getByText('docs').waitFor();
    await page.getByRole('button', { name: 'Details of notes.txt' }).click();
    const dialog = page.getByRole('dialog', { name: 'Object details' });
    await dialog.getByText('Metadata: owner').waitFor();
    await dialog.getByText('text/plain').waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download notes.txt' }).click()]);
    assert.deepEqual(readFileSync(await download.path()), notes);

    await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: BUCKET }).click();
    const [bigDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download big.bin' }).click()]);
    assert.ok(readFileSync(await bigDownload.path()).equals(big), 'the 20 MiB file comes back byte for byte');
  });

  test('pages through a large folder and searches by prefix', async () => {
    const client = s3Client(s.server);
    await Promise.all(Array.from({ length: 30 }, (_, i) => client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `many/item-${String(i).padStart(2, '0')}.txt`, Body: `item ${i}` }))));
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: 'many/' }).click();
    await page.getByLabel('Per page').selectOption('25');
    await rowCount(page, 25);
    await page.getByRole('button', { name: 'Details of item-24.txt' }).waitFor();
    await page.getByRole('button', { name: 'Next →' }).click();
    await page.getByText('Page 2', { exact: true }).waitFor();
    await rowCount(page, 5);
    await page.getByRole('button', { name: 'Details of item-29.txt' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Next →' }).isDisabled(), true);
    await page.getByLabel('Name starts with').fill('item-1');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('Page 1', { exact: true }).waitFor();
    await rowCount(page, 10);
    await page.getByRole('button', { name: 'Details of item-10.txt' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Details of item-20.txt' }).count(), 0);
    await page.getByLabel('Per page').selectOption('100');
    await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: BUCKET }).click();
    await page.getByRole('button', { name: 'Details of hello.txt' }).waitFor();
  });

  test('shares an object for 1 hour: the link works from outside the browser and its expiry is shown', async () => {
    await page.getByRole('button', { name: 'Share hello.txt' }).click();
    const dialog = page.getByRole('dialog', { name: 'Share hello.txt' });
    await dialog.getByLabel('Expires after').selectOption({ label: '1 hour' });
    const before = Date.now();
    await dialog.getByRole('button', { name: 'Create link' }).click();
    const output = dialog.getByLabel('Link', { exact: true });
    await output.waitFor();
    sharedUrl = await output.inputValue();
    const expiresAt = Date.parse((await dialog.locator('time').getAttribute('datetime')) ?? '');
    assert.ok(Math.abs(expiresAt - (before + 3600_000)) < 10_000, 'about an hour from now');
    await dialog.getByRole('button', { name: 'Copy link' }).waitFor();
    await shot(page, '04-share');
    const fetched = await fetchLink(sharedUrl);
    assert.equal(fetched.status, 200);
    assert.deepEqual(fetched.body, small);

    // 13 hours is past the console's cap: refused, with words.
    await dialog.getByLabel('Expires after').selectOption({ label: 'Custom…' });
    await dialog.getByLabel('Custom length').fill('13');
    await dialog.getByLabel('Unit').selectOption({ label: 'hours' });
    await dialog.getByRole('button', { name: 'Create link' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'Console links last at most 12 hours; you asked for 13 hours.' }).waitFor();

    // A second link, never revoked: it must survive sign-out.
    await dialog.getByLabel('Expires after').selectOption({ label: '15 minutes' });
    await dialog.getByRole('button', { name: 'Create link' }).click();
    await dialog.locator('time').waitFor();
    keptUrl = await dialog.getByLabel('Link', { exact: true }).inputValue();
    assert.notEqual(keptUrl, sharedUrl);
    await dialog.getByRole('button', { name: 'Close' }).click();
  });

  test('the Links page shows the link and its use, and revoking it makes the link answer 403', async () => {
    await page.getByRole('link', { name: 'Links' }).click();
    await page.getByRole('heading', { name: 'Links', level: 1 }).waitFor();
    const rows = page.locator('tbody tr', { hasText: `${BUCKET}/hello.txt` });
    // The heading comes before the table's rows are fetched; count() does not wait for them.
    await rows.nth(1).waitFor();
    assert.equal(await rows.count(), 2);
    const used = rows.filter({ has: page.locator('td.num', { hasText: /^1$/ }) });
    await used.getByText('127.0.0.1').waitFor();
    await shot(page, '05-links');
    await used.getByRole('button', { name: `Revoke link to ${BUCKET}/hello.txt` }).click();
    // Revoking asks first; Cancel (which has the focus) changes nothing.
    const confirm = page.getByRole('dialog', { name: 'Revoke link' });
    await confirm.getByText(`Revoke this download link to ${BUCKET}/hello.txt?`).waitFor();
    await page.keyboard.press('Enter');
    await confirm.waitFor({ state: 'detached' });
    assert.equal(await page.locator('tbody tr .badge.revoked').count(), 0);
    assert.equal((await fetchLink(sharedUrl)).status, 200, 'still valid after Cancel');
    await used.getByRole('button', { name: `Revoke link to ${BUCKET}/hello.txt` }).click();
    await confirm.getByRole('button', { name: 'Revoke link' }).click();
    await page.locator('tbody tr .badge.revoked').waitFor();
    const revoked = await fetchLink(sharedUrl);
    assert.equal(revoked.status, 403);
    assert.match(revoked.body.toString(), /<Code>AccessDenied<\/Code>/);
  });

  test('sign-out ends the session (the console asks for sign-in again) while an unrevoked link keeps working', async () => {
    const cookie = (await browser.context.cookies(s.console)).find((c) => c.name === 'latchkey_console');
    assert.ok(cookie?.httpOnly && cookie.sameSite === 'Strict');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Latchkey' }).waitFor();
    await page.goto(`${s.console}/#/buckets`);
    await page.getByRole('heading', { name: 'Sign in to Latchkey' }).waitFor();
    const replay = await fetch(`${s.console}/api/session`, { headers: { cookie: `latchkey_console=${cookie.value}` } });
    assert.equal(replay.status, 401, 'the old cookie names a deleted session');
    const kept = await fetchLink(keptUrl);
    assert.equal(kept.status, 200);
    assert.deepEqual(kept.body, small);
  });

  test('a user with read-only rights on one prefix sees upload and delete refused, and cannot share what they cannot read', async () => {
    await s3Client(s.server).send(new PutObjectCommand({ Bucket: BUCKET, Key: 'public/open.txt', Body: 'open' }));
    const reader = await createUserWithPolicy(s.server, 'viewer', {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 's3:ListAllMyBuckets', Resource: '*' },
        { Effect: 'Allow', Action: 's3:ListBucket', Resource: `arn:aws:s3:::${BUCKET}` },
        { Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${BUCKET}/public/*` },
      ],
    });
    await signIn(page, reader);
    await page.getByText('Signed in as viewer').waitFor();
    await page.goto(`${s.console}/#/b/${BUCKET}/public%2F`);
    await page.getByRole('button', { name: 'Details of open.txt' }).waitFor();

    // What they may not do is not offered: no upload area, no Delete, upload links disabled with the reason.
    await page.getByText('You may not upload to this folder. You can browse, download and share what is here.').waitFor();
    assert.equal(await page.locator('#upload-files').count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Delete open.txt' }).count(), 0);
    assert.equal(await page.getByRole('button', { name: 'New folder' }).count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Create upload link' }).isDisabled(), true);
    await page.getByRole('link', { name: 'Download open.txt' }).waitFor();
    await shot(page, '06-read-only-refusals');
    // The console API refuses an upload link to them in words, as the S3 API would refuse the upload.
    const refused = await page.evaluate<[number, { error: { code: string; message: string } }]>(`fetch('/api/session').then((r) => r.json()).then((s) => fetch('/api/upload-links', {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-latchkey-csrf': s.csrfToken },
      body: JSON.stringify({ bucket: '${BUCKET}', key: 'public/new.txt', prefix: false, expiresIn: 600 }),
    })).then(async (r) => [r.status, await r.json()])`);
    assert.equal(refused[0], 403);
    assert.equal(refused[1].error.code, 'AccessDenied');
    assert.match(refused[1].error.message, /^You cannot create an upload link to console-photos\/public\/new.txt: you are not allowed to upload there/);

    await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: BUCKET }).click();
    await page.getByRole('button', { name: 'Details of hello.txt' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Share hello.txt' }).count(), 0, 'no Share where they may not read');
    const share = await page.evaluate<[number, { error: { message: string } }]>(`fetch('/api/session').then((r) => r.json()).then((s) => fetch('/api/share', {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-latchkey-csrf': s.csrfToken },
      body: JSON.stringify({ bucket: '${BUCKET}', key: 'hello.txt', expiresIn: 600 }),
    })).then(async (r) => [r.status, await r.json()])`);
    assert.deepEqual(share, [403, { error: { code: 'AccessDenied', message: `You cannot share ${BUCKET}/hello.txt: you are not allowed to read it.` } }]);

    // What they may read they may share, signed with their own key.
    await page.getByRole('link', { name: 'public/' }).click();
    await page.getByRole('button', { name: 'Share open.txt' }).click();
    const ok = page.getByRole('dialog', { name: 'Share open.txt' });
    await ok.getByRole('button', { name: 'Create link' }).click();
    const link = await ok.getByLabel('Link', { exact: true }).inputValue();
    assert.ok(new URL(link).searchParams.get('X-Amz-Credential')?.startsWith(`${reader.accessKeyId}/`));
    assert.equal((await fetchLink(link)).body.toString(), 'open');
    await ok.getByRole('button', { name: 'Close' }).click();
    // The same folder on a phone-sized screen (responsive layout), for the record.
    await page.setViewportSize({ width: 390, height: 844 });
    await shot(page, '07-narrow-screen');
  });
});
