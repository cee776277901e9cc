import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, GetBucketCorsCommand, HeadObjectCommand, ListBucketsCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Page } from 'playwright-core';
import { CHROMIUM_MISSING, FFMPEG_MISSING, launchChromium, type TestBrowser } from '../helpers/browser-harness.js';
import { s3Client, type TestCredentials } from '../helpers/clients.js';
import { buildConsoleUi, createUserWithPolicy, startConsoleServer, type ConsoleServer } from '../helpers/console.js';
import { ROOT_CREDENTIALS } from '../helpers/server.js';

const BUCKET = 'ops';
const SHOTS = fileURLToPath(new URL('../../test-artifacts/console-operator/', import.meta.url));
const LONG_KEY = 'projects/2026/quarterly_reports/northern_region/summary_for_the_board.txt';

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

async function signIn(page: Page, credentials: TestCredentials): Promise<void> {
  await page.getByLabel('Access key ID').fill(credentials.accessKeyId);
  await page.getByLabel('Secret access key').fill(credentials.secretAccessKey);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

async function keys(client: S3Client, prefix: string): Promise<string[]> {
  return ((await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }))).Contents ?? []).map((c) => c.Key ?? '');
}

/** Polls a condition the page reaches asynchronously (the page's CSP forbids waitForFunction). */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('the console for an operator\'s day', { skip: CHROMIUM_MISSING || FFMPEG_MISSING }, () => {
  let s: ConsoleServer;
  let client: S3Client;
  let browser: TestBrowser;
  let page: Page;
  let files: string;

  before(async () => {
    buildConsoleUi();
    mkdirSync(SHOTS, { recursive: true });
    files = mkdtempSync(join(tmpdir(), 'latchkey-operator-'));
    writeFileSync(join(files, 'a.txt'), 'alpha\n');
    writeFileSync(join(files, 'blocked.txt'), 'not allowed\n');
    mkdirSync(join(files, 'tree', 'sub'), { recursive: true });
    writeFileSync(join(files, 'tree', 'x.txt'), 'x\n');
    writeFileSync(join(files, 'tree', 'sub', 'y.txt'), 'y\n');
    s = await startConsoleServer();
    client = s3Client(s.server);
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    browser = await launchChromium();
    page = await browser.newPage();
    await page.setViewportSize({ width: 1200, height: 800 });
    await page.goto(s.console);
    await signIn(page, ROOT_CREDENTIALS);
    await page.getByRole('link', { name: BUCKET }).waitFor();
  });
  after(async () => {
    client?.destroy();
    await browser?.close();
    await s?.server.stop();
    if (files) rmSync(files, { recursive: true, force: true });
  });

  test('folders: New folder by keyboard only, upload into it, a whole folder tree, breadcrumb back', async () => {
    await page.getByRole('link', { name: BUCKET }).click();
    await page.getByRole('heading', { name: BUCKET, level: 1 }).waitFor();
    await page.getByRole('button', { name: 'New folder' }).focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'New folder' });
    await dialog.waitFor();
    assert.equal(await page.evaluate('document.activeElement && document.activeElement.name'), 'folder', 'the name field has the focus');
    await page.keyboard.type('reports');
    await shot(page, '01-new-folder-dialog');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'reports', level: 1 }).waitFor();
    await page.getByRole('navigation', { name: 'Breadcrumb' }).getByText('reports').waitFor();
    assert.deepEqual(await keys(client, 'reports/'), ['reports/']);
    await page.getByText('This folder is empty: drop files above to upload.').waitFor();

    await page.locator('#upload-files').setInputFiles(join(files, 'a.txt'));
    await page.locator('#upload-folder').setInputFiles(join(files, 'tree'));
    await page.getByRole('button', { name: 'Details of a.txt' }).waitFor();
    await page.getByRole('link', { name: 'tree/' }).waitFor();
    assert.deepEqual((await keys(client, 'reports/')).sort(), ['reports/', 'reports/a.txt', 'reports/tree/sub/y.txt', 'reports/tree/x.txt']);
    // Files dropped on the zone go into the current folder too (the page's own drop handler, fed a DataTransfer).
    await page.evaluate(`(() => {
      const data = new DataTransfer();
      data.items.add(new File(['dropped'], 'dropped.txt', { type: 'text/plain' }));
      document.querySelector('.dropzone').dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
    })()`);
    await page.getByRole('button', { name: 'Details of dropped.txt' }).waitFor();
    await page.getByRole('link', { name: 'tree/' }).click();
    await page.getByRole('link', { name: 'sub/' }).click();
    await page.getByRole('button', { name: 'Details of y.txt' }).waitFor();
    await shot(page, '02-folder-breadcrumb');
    await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: 'reports' }).click();
    await page.getByRole('button', { name: 'Details of a.txt' }).waitFor();
  });

  test('several objects: downloaded one by one, deleted with one DeleteObjects after a keyboard confirmation', async () => {
    for (const name of ['b.txt', 'c.txt', 'd.txt']) await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `reports/${name}`, Body: `${name} body` }));
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('button', { name: 'Details of d.txt' }).waitFor();
    await page.getByLabel('Select b.txt').check();
    await page.getByLabel('Select c.txt').check();
    await page.getByText('2 selected').waitFor();
    const downloads: string[] = [];
    page.on('download', (d) => void d.path().then((p) => downloads.push(readFileSync(p).toString())));
    await page.getByRole('button', { name: 'Download selected' }).click();
    await eventually(() => Promise.resolve(downloads.length === 2), 'two downloads');
    assert.deepEqual(downloads.sort(), ['b.txt body', 'c.txt body']);

    await page.getByLabel('Select d.txt').check();
    const before = s.server.logs.length;
    await page.getByRole('button', { name: 'Delete selected' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete objects' });
    await confirm.getByText(`Delete 3 objects from ${BUCKET}? This cannot be undone.`).waitFor();
    await shot(page, '03-delete-selected');
    // Cancel has the focus; Tab moves to the destructive button.
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await confirm.waitFor({ state: 'detached' });
    await eventually(async () => (await page.getByRole('button', { name: 'Details of b.txt' }).count()) === 0, 'the rows to go');
    assert.deepEqual((await keys(client, 'reports/')).sort(), ['reports/', 'reports/a.txt', 'reports/dropped.txt', 'reports/tree/sub/y.txt', 'reports/tree/x.txt']);
    const operations = s.server.logs.slice(before).map((line) => /"operation":"(\w+)"/.exec(line)?.[1]).filter((op) => op === 'DeleteObjects' || op === 'DeleteObject');
    assert.deepEqual(operations, ['DeleteObjects']);
  });

  test('previews images, video, audio, PDF and text through a short-lived link', async () => {
    const media = mkdtempSync(join(tmpdir(), 'latchkey-media-'));
    try {
      const ff = (args: string[]) => execFileSync('ffmpeg', ['-loglevel', 'error', '-nostdin', '-y', ...args]);
      ff(['-f', 'lavfi', '-i', 'color=c=red:s=32x24', '-frames:v', '1', join(media, 'red.png')]);
      ff(['-f', 'lavfi', '-i', 'testsrc=duration=1:size=64x48:rate=10', '-c:v', 'libvpx', '-an', join(media, 'clip.webm')]);
      ff(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', join(media, 'tone.wav')]);
      const pdf = '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj 3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 100]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n';
      const put = (key: string, body: Buffer | string, type: string) => client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `media/${key}`, Body: body, ContentType: type }));
      await put('red.png', readFileSync(join(media, 'red.png')), 'image/png');
      await put('clip.webm', readFileSync(join(media, 'clip.webm')), 'video/webm');
      await put('tone.wav', readFileSync(join(media, 'tone.wav')), 'audio/wav');
      await put('doc.pdf', pdf, 'application/pdf');
      await put('notes.txt', 'line one\n<b>not markup</b>\n', 'text/plain');
    } finally {
      rmSync(media, { recursive: true, force: true });
    }
    await page.goto(`${s.console}/#/b/${BUCKET}/media%2F`);
    const open = async (name: string) => {
      await page.getByRole('button', { name: `Details of ${name}` }).click();
      return page.getByRole('dialog', { name: 'Object details' });
    };
    const close = async () => {
      await page.keyboard.press('Escape');
      await page.getByRole('dialog', { name: 'Object details' }).waitFor({ state: 'detached' });
    };

    let dialog = await open('red.png');
    const img = dialog.getByRole('img', { name: 'Preview of red.png' });
    await img.waitFor();
    const src = (await img.getAttribute('src')) ?? '';
    assert.ok(src.startsWith(`${s.server.endpoint}/${BUCKET}/media/red.png?`), src);
    const link = new URL(src);
    assert.equal(link.searchParams.get('X-Amz-Expires'), '300');
    assert.ok(link.searchParams.get('X-Amz-Security-Token'), 'signed with the session, so it dies with it');
    await eventually(async () => (await img.evaluate((el: unknown) => (el as { naturalWidth: number }).naturalWidth)) === 32, 'the image to load');
    await shot(page, '04-preview-image');
    await close();

    dialog = await open('clip.webm');
    const video = dialog.locator('video');
    await eventually(async () => (await video.evaluate((el: unknown) => (el as { readyState: number }).readyState)) >= 1, 'video metadata');
    assert.equal(await video.evaluate((el: unknown) => (el as { videoWidth: number }).videoWidth), 64);
    await close();

    dialog = await open('tone.wav');
    const audio = dialog.locator('audio');
    await eventually(async () => (await audio.evaluate((el: unknown) => (el as { duration: number }).duration)) > 0.9, 'audio metadata');
    await close();

    dialog = await open('doc.pdf');
    const frame = dialog.locator('iframe[title="Preview of doc.pdf"]');
    await frame.waitFor();
    const pdfAnswer = await fetch((await frame.getAttribute('src')) ?? '');
    assert.equal(pdfAnswer.status, 200);
    assert.equal(pdfAnswer.headers.get('content-type'), 'application/pdf');
    assert.equal(pdfAnswer.headers.get('content-disposition'), 'inline');
    await close();

    dialog = await open('notes.txt');
    const text = dialog.getByLabel('Preview of notes.txt');
    await text.waitFor();
    assert.equal(await text.textContent(), 'line one\n<b>not markup</b>\n');
    assert.equal(await dialog.locator('pre b').count(), 0, 'text is shown as text');
    await shot(page, '05-preview-text');
    await close();
  });

  test('a failed upload shows a red bar and the reason; finished uploads can be cleared', async () => {
    const writer = await createUserWithPolicy(s.server, 'dropper', {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: ['s3:ListBucket'], Resource: `arn:aws:s3:::${BUCKET}` },
        { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: `arn:aws:s3:::${BUCKET}/drop/*` },
        { Effect: 'Deny', Action: 's3:PutObject', Resource: `arn:aws:s3:::${BUCKET}/drop/blocked*` },
      ],
    });
    const context = await launchChromium();
    try {
      const p = await context.newPage();
      await p.setViewportSize({ width: 1000, height: 700 });
      await p.goto(s.console);
      await signIn(p, writer);
      await p.getByText('Signed in as dropper').waitFor();
      // No ListAllMyBuckets: the home page says so and opens a bucket by name.
      await p.getByText('You may not list all buckets. Open one by name above.').waitFor();
      assert.equal(await p.getByLabel('New bucket name').count(), 0, 'no Create bucket for someone who may not');
      await shot(p, '06-open-by-name');
      await p.getByLabel('Bucket name').fill(BUCKET);
      await p.keyboard.press('Enter');
      await p.getByRole('heading', { name: BUCKET, level: 1 }).waitFor();
      await p.getByText('You may not upload to this folder.', { exact: false }).waitFor();
      await p.getByRole('link', { name: 'drop/' }).waitFor({ timeout: 2000 }).catch(() => undefined);
      await p.goto(`${s.console}/#/b/${BUCKET}/drop%2F`);
      await p.locator('#upload-files').setInputFiles([join(files, 'a.txt'), join(files, 'blocked.txt')]);
      const failed = p.locator('.uploads li.failed-item', { hasText: 'blocked.txt' });
      await failed.getByRole('alert').filter({ hasText: `blocked.txt: Access denied: you are not allowed to upload to ${BUCKET}/drop/blocked.txt. (AccessDenied)` }).waitFor();
      await failed.getByText('Failed', { exact: true }).waitFor();
      const barColour = await p.evaluate<string>(`getComputedStyle(document.querySelector('.uploads li.failed-item progress')).accentColor`);
      assert.equal(barColour, 'rgb(179, 38, 30)', 'the failed bar is red');
      await p.locator('.uploads li', { hasText: 'a.txt' }).getByText('Done').waitFor();
      await shot(p, '07-failed-upload');
      await assert.rejects(client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'drop/blocked.txt' })), { name: 'NotFound' });
      await p.getByRole('button', { name: 'Clear finished uploads' }).click();
      assert.equal(await p.locator('.uploads li').count(), 0);
      assert.equal(await p.getByRole('button', { name: 'Clear finished uploads' }).isHidden(), true);
      // Upload links are checked against s3:PutObject: allowed in drop/, refused (in words) where a Deny applies.
      await p.getByRole('button', { name: 'Create upload link' }).click();
      const dialog = p.getByRole('dialog', { name: 'Create upload link' });
      await dialog.getByLabel('Object key').fill('drop/blocked-2.txt');
      await dialog.getByRole('button', { name: 'Create upload link' }).click();
      await dialog.getByRole('alert').filter({ hasText: `You cannot create an upload link to ${BUCKET}/drop/blocked-2.txt: you are not allowed to upload there` }).waitFor();
      await dialog.getByLabel('Object key').fill('drop/fine.txt');
      await dialog.getByRole('button', { name: 'Create upload link' }).click();
      assert.ok((await dialog.getByLabel('Link', { exact: true }).inputValue()).includes('/_latchkey/upload#'));
    } finally {
      await context.close();
    }
  });

  test('on a 375 px screen nothing overflows sideways and the row actions stay in reach; Links keys wrap at "/"', async () => {
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: LONG_KEY, Body: 'long' }));
    const shared = await page.evaluate(`fetch('/api/session').then((r) => r.json()).then((s) => fetch('/api/share', {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-latchkey-csrf': s.csrfToken },
      body: JSON.stringify({ bucket: '${BUCKET}', key: '${LONG_KEY}', expiresIn: 600 }),
    })).then((r) => r.status)`);
    assert.equal(shared, 201);
    await page.setViewportSize({ width: 375, height: 800 });
    const pages: [string, string, () => Promise<void>][] = [
      ['buckets', '#/buckets', () => page.getByRole('link', { name: BUCKET }).waitFor()],
      ['folder', `#/b/${BUCKET}/reports%2F`, () => page.getByRole('button', { name: 'Details of a.txt' }).waitFor()],
      ['links', '#/links', () => page.locator('code.key-path').first().waitFor()],
      ['users', '#/users', () => page.getByRole('heading', { name: 'Users', level: 1 }).waitFor()],
      ['policies', '#/policies', () => page.getByRole('heading', { name: 'Policies', level: 1 }).waitFor()],
      ['settings', `#/settings/${BUCKET}`, () => page.getByRole('heading', { name: `Settings of ${BUCKET}` }).waitFor()],
    ];
    for (const [name, hash, ready] of pages) {
      await page.goto(`${s.console}/${hash}`);
      await ready();
      const [scrollWidth, viewport] = await page.evaluate<[number, number]>('[document.documentElement.scrollWidth, window.innerWidth]');
      assert.ok(scrollWidth <= viewport, `${name}: the page is ${scrollWidth} px wide in a ${viewport} px viewport`);
      await shot(page, `08-narrow-${name}`);
    }
    await page.goto(`${s.console}/#/b/${BUCKET}/reports%2F`);
    const remove = page.getByRole('button', { name: 'Delete a.txt' });
    await remove.waitFor();
    const box = await remove.boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 375, `Delete is on screen: ${JSON.stringify(box)}`);

    await page.goto(`${s.console}/#/links`);
    const code = page.locator('code.key-path', { hasText: 'summary_for_the_board' });
    await code.waitFor();
    // Each "folder/" piece stays on one line; the key as a whole spans several.
    const pieces = await page.evaluate<[string, number][]>(`(() => {
      const el = [...document.querySelectorAll('code.key-path')].find((e) => e.textContent.includes('summary_for_the_board'));
      return [...el.childNodes].filter((n) => n.nodeType === 3).map((n) => {
        const r = document.createRange();
        r.selectNodeContents(n);
        return [n.textContent, new Set([...r.getClientRects()].map((rect) => Math.round(rect.top))).size];
      });
    })()`);
    assert.ok(pieces.length >= 6, JSON.stringify(pieces));
    for (const [piece, lines] of pieces) assert.equal(lines, 1, `“${piece}” is broken mid-word`);
    const height = (await code.boundingBox())?.height ?? 0;
    assert.ok(height > 30, 'the key wraps onto several lines');
    await page.setViewportSize({ width: 1200, height: 800 });
  });

  test('users, access keys and policies: create, secret shown once, attach, detach, disable, remove; validation errors shown', async () => {
    await page.goto(`${s.console}/#/users`);
    await page.getByRole('link', { name: 'Users' }).waitFor();
    await page.getByLabel('New user name').fill('bob');
    await page.getByRole('button', { name: 'Create user' }).click();
    const bob = page.getByRole('region', { name: 'User bob' });
    await bob.waitFor();
    await bob.getByRole('button', { name: 'Create access key for bob' }).click();
    const keyDialog = page.getByRole('dialog', { name: 'New access key' });
    await keyDialog.getByText('This is the only time the secret is shown.', { exact: false }).waitFor();
    const accessKeyId = (await keyDialog.locator('.new-key-id').textContent()) ?? '';
    const secretAccessKey = (await keyDialog.locator('.new-key-secret').textContent()) ?? '';
    await shot(page, '09-new-key');
    await page.keyboard.press('Enter');
    await keyDialog.waitFor({ state: 'detached' });
    // A closed <dialog> leaves the accessibility tree before its 'close' event removes it from the page.
    await eventually(async () => (await page.getByText(secretAccessKey).count()) === 0, 'the secret to be gone from the page');
    await bob.locator('code', { hasText: accessKeyId }).waitFor();

    await page.getByRole('link', { name: 'Policies' }).click();
    await page.getByLabel('Policy name').fill('read-ops');
    const documentField = page.getByLabel('Policy document (JSON)');
    await documentField.fill('{ "Version": "2012-10-17", ');
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.getByRole('alert').filter({ hasText: 'The document is not valid JSON' }).waitFor();
    await documentField.fill(JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Perhaps', Action: 's3:GetObject', Resource: '*' }] }));
    await page.getByRole('button', { name: 'Save policy' }).click();
    const invalid = page.getByRole('alert').filter({ hasText: 'Could not save read-ops:' });
    await invalid.waitFor();
    assert.match((await invalid.textContent()) ?? '', /Invalid effect: Perhaps \(InvalidInput\)$/);
    await shot(page, '10-policy-validation');
    await documentField.fill(JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:ListAllMyBuckets', Resource: '*' }] }));
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.getByRole('region', { name: 'Policy read-ops' }).waitFor();

    const asBob = s3Client(s.server, { accessKeyId, secretAccessKey });
    try {
      await assert.rejects(asBob.send(new ListBucketsCommand({})), { name: 'AccessDenied' });
      await page.getByRole('link', { name: 'Users' }).click();
      await bob.getByLabel('Policy to attach to bob').selectOption('read-ops');
      await bob.getByRole('button', { name: 'Attach to bob' }).click();
      await bob.getByRole('button', { name: 'Detach read-ops from bob' }).waitFor();
      assert.ok(((await asBob.send(new ListBucketsCommand({}))).Buckets ?? []).some((b) => b.Name === BUCKET));
      await shot(page, '11-users');
      await bob.getByRole('button', { name: 'Detach read-ops from bob' }).click();
      await bob.getByText('No policies attached', { exact: false }).waitFor();
      await bob.getByRole('button', { name: `Disable key ${accessKeyId}` }).click();
      await bob.getByRole('button', { name: `Enable key ${accessKeyId}` }).waitFor();
      await assert.rejects(asBob.send(new ListBucketsCommand({})), { name: 'InvalidAccessKeyId' });
      await bob.getByRole('button', { name: `Remove key ${accessKeyId}` }).click();
      await page.getByRole('dialog', { name: 'Remove access key' }).getByRole('button', { name: 'Remove key' }).click();
      await bob.getByText('No access keys.').waitFor();
    } finally {
      asBob.destroy();
    }
  });

  test('bucket settings: policy and CORS rules edited, S3\'s validation errors shown', async () => {
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'public/hi.txt', Body: 'hi' }));
    await page.goto(`${s.console}/#/b/${BUCKET}/`);
    await page.getByRole('link', { name: 'Bucket settings' }).click();
    await page.getByRole('heading', { name: `Settings of ${BUCKET}` }).waitFor();
    const policy = page.locator('#setting-policy');
    await policy.fill('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject"}]}');
    await page.getByRole('button', { name: 'Save bucket policy' }).click();
    await page.getByRole('alert').filter({ hasText: '(MalformedPolicy)' }).waitFor();
    assert.equal((await fetch(`${s.server.endpoint}/${BUCKET}/public/hi.txt`)).status, 403);
    await policy.fill(JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${BUCKET}/public/*` }] }));
    await page.getByRole('button', { name: 'Save bucket policy' }).click();
    await page.getByRole('form', { name: 'Bucket policy' }).getByText('Saved: in force now.').waitFor();
    assert.equal(await (await fetch(`${s.server.endpoint}/${BUCKET}/public/hi.txt`)).text(), 'hi');

    const cors = page.locator('#setting-cors');
    await cors.fill('<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod></CORSRule>');
    await page.getByRole('button', { name: 'Save CORS rules' }).click();
    await page.getByRole('alert').filter({ hasText: '(MalformedXML)' }).waitFor();
    await shot(page, '12-bucket-settings-error');
    await cors.fill('<CORSConfiguration><CORSRule><AllowedOrigin>https://shop.example</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>');
    await page.getByRole('button', { name: 'Save CORS rules' }).click();
    await page.getByRole('form', { name: 'CORS rules' }).getByText('Saved: in force now.').waitFor();
    const rules = await client.send(new GetBucketCorsCommand({ Bucket: BUCKET }));
    assert.deepEqual(rules.CORSRules?.[0]?.AllowedOrigins, ['https://shop.example']);
    await page.reload();
    await page.getByRole('form', { name: 'Bucket policy' }).getByText('In force now.').waitFor();
    await shot(page, '13-bucket-settings');
    await page.getByRole('button', { name: 'Remove bucket policy' }).click();
    await page.getByRole('form', { name: 'Bucket policy' }).getByText('Removed: none is set.').waitFor();
    assert.equal((await fetch(`${s.server.endpoint}/${BUCKET}/public/hi.txt`)).status, 403);
  });
});
