import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { wantsHtml } from '../../src/s3/error-page.js';
import { adminCall } from '../helpers/admin-client.js';
import { BOTO_HELPERS } from '../helpers/boto-helpers.js';
import { CHROMIUM_MISSING, launchChromium, startPageServer, type PageServer, type TestBrowser } from '../helpers/browser-harness.js';
import { startCountingProxy } from '../helpers/browser-proxy.js';
import { aws, boto3, run, s3Client } from '../helpers/clients.js';
import { httpRequest, parseS3Error } from '../helpers/e2e-http.js';
import { link, withParam } from '../helpers/links.js';
import { serverWithBucket } from '../helpers/server-with-bucket.js';
import { ROOT_CREDENTIALS } from '../helpers/server.js';
import { RCLONE_MISSING, S3CMD_MISSING, rclone, s3cmd } from '../helpers/tool-clients.js';

const SHOTS = fileURLToPath(new URL('../../test-artifacts/error-pages/', import.meta.url));
const BUCKET = 'pages';
/** What Chromium sends when the address bar navigates (and Firefox and Safari send the same ranking). */
const NAVIGATION_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7';
const WRONG_SECRET = { accessKeyId: ROOT_CREDENTIALS.accessKeyId, secretAccessKey: 'not-the-secret' };

interface Refusal {
  readonly name: string;
  readonly url: () => Promise<string>;
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly title: string;
}

describe('which requests get a page rather than XML', () => {
  test('a navigation ranking text/html first does; wildcards, media, fetch and equal rankings do not', () => {
    const html = [NAVIGATION_ACCEPT, 'text/html', 'text/html;q=0.9,application/xml;q=0.8', 'application/xhtml+xml,*/*;q=0.1'];
    const xml = [
      undefined, '', '*/*', 'application/xml', 'application/xml,text/html', 'text/html;q=0.5,*/*', 'text/html;q=0',
      'image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8', 'video/webm,video/ogg,video/*;q=0.9,application/ogg;q=0.7,audio/*;q=0.6,*/*;q=0.5',
    ];
    for (const accept of html) assert.equal(wantsHtml({ method: 'GET', accept }), true, accept);
    for (const accept of xml) assert.equal(wantsHtml({ method: 'GET', accept }), false, String(accept));
    for (const method of ['HEAD', 'PUT', 'POST', 'DELETE']) assert.equal(wantsHtml({ method, accept: NAVIGATION_ACCEPT }), false, method);
  });
});

describe('readable error pages for browsers, XML for everyone else', { skip: CHROMIUM_MISSING }, () => {
  const live = serverWithBucket(BUCKET, {
    seed: async (s3) => {
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'doc.txt', Body: 'the document' }));
    },
  });
  let browser: TestBrowser;
  let pages: PageServer;

  const refusals: Refusal[] = [
    {
      name: 'expired',
      url: () => Promise.resolve(link(live.server, BUCKET, 'doc.txt', { now: Date.now() - 3_600_000, expiresIn: 60 })),
      status: 403, code: 'AccessDenied', message: 'Request has expired', title: 'This link has expired',
    },
    {
      name: 'revoked',
      url: async () => {
        const url = link(live.server, BUCKET, 'doc.txt');
        const revoked = await adminCall(live.server, 'POST', '/links/revoke', { body: { url } });
        assert.equal(revoked.status, 200, revoked.text);
        return url;
      },
      status: 403, code: 'AccessDenied', message: 'Link revoked', title: 'This link has been revoked',
    },
    {
      name: 'used-up',
      url: async () => {
        const url = link(live.server, BUCKET, 'doc.txt', { params: { 'X-Latchkey-Max-Uses': '1' } });
        assert.equal((await fetch(url)).status, 200);
        return url;
      },
      status: 403, code: 'AccessDenied', message: 'Link use limit reached', title: 'This link has been used up',
    },
    {
      name: 'tampered',
      url: () => Promise.resolve(withParam(link(live.server, BUCKET, 'doc.txt'), 'X-Amz-Signature', '0'.repeat(64))),
      status: 403, code: 'SignatureDoesNotMatch', message: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', title: 'This link is damaged',
    },
    {
      name: 'source-ip',
      url: () => Promise.resolve(link(live.server, BUCKET, 'doc.txt', { params: { 'X-Latchkey-Source-Ip': '10.0.0.0/8' } })),
      status: 403, code: 'AccessDenied', message: 'Link not valid from this address', title: 'This link does not work from your network',
    },
  ];

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    browser = await launchChromium();
    pages = await startPageServer({ '/': '<!doctype html><html><head><meta charset="utf-8"><title>media</title></head><body></body></html>' });
  });
  after(async () => {
    await browser?.close();
    await pages?.close();
  });

  for (const refusal of refusals) {
    test(`${refusal.name}: a page in words with the status, code and request id; curl still gets S3's XML`, async () => {
      const url = await refusal.url();
      const page = await browser.newPage();
      try {
        const response = await page.goto(url);
        assert.ok(response);
        assert.equal(response.status(), refusal.status);
        const headers = response.headers();
        assert.match(headers['content-type'] ?? '', /^text\/html; charset=utf-8$/);
        const requestId = headers['x-amz-request-id'] ?? '';
        assert.match(requestId, /^[0-9A-F]{16}$/);
        assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), refusal.title);
        const text = (await page.locator('main').textContent()) ?? '';
        assert.ok(text.includes(`Status${refusal.status}`), text);
        assert.ok(text.includes(`Error code${refusal.code}`), text);
        assert.ok(text.includes(`Request id${requestId}`), text);
        await page.screenshot({ path: join(SHOTS, `${refusal.name}.png`) });
      } finally {
        await page.close();
      }

      // curl's own Accept (*/*): the XML exactly as S3 shapes it.
      const curl = await run('curl', ['-s', '-D', '-', url], { PATH: process.env['PATH'] });
      const [head = '', body = ''] = curl.stdout.split('\r\n\r\n');
      assert.match(head, new RegExp(`^HTTP/1.1 ${refusal.status} `));
      assert.match(head, /\r\ncontent-type: application\/xml\r\n/i);
      const error = parseS3Error(body);
      assert.equal(error.code, refusal.code);
      assert.equal(error.message, refusal.message);
      assert.match(body, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<Error><Code>/);
      assert.equal(error.fields['RequestId'], /x-amz-request-id: (\S+)/i.exec(head)?.[1]);

      // A HEAD from a browser has no body either way, and keeps S3's headers.
      const headAnswer = await httpRequest(url, { method: 'HEAD', headers: { accept: NAVIGATION_ACCEPT } });
      assert.equal(headAnswer.status, refusal.status);
      assert.equal(headAnswer.headers['content-type'], 'application/xml');
    });
  }

  test('<img> and <video> elements and fetch() in a page get XML from a refused link', async () => {
    // Through a recording proxy: what the browser asked for and what it got, whatever the page may read.
    const proxy = await startCountingProxy(live.server.endpoint);
    const page = await browser.newPage();
    try {
      const url = link({ ...live.server, endpoint: proxy.endpoint }, BUCKET, 'doc.txt', { now: Date.now() - 3_600_000, expiresIn: 60 });
      await page.goto(`${pages.origin}/`);
      const elements = await page.evaluate(`Promise.all(['img', 'video'].map((tag) => new Promise((resolve) => {
        const el = document.createElement(tag);
        el.addEventListener('error', () => resolve(tag + ':error'), { once: true });
        el.addEventListener('load', () => resolve(tag + ':load'), { once: true });
        el.src = ${JSON.stringify(url)} + '&for=' + tag;
        document.body.appendChild(el);
      })))`);
      assert.deepEqual(elements, ['img:error', 'video:error']);
      // No CORS rule on the bucket: the page cannot read the answer, but the browser receives it.
      assert.equal(await page.evaluate(`fetch(${JSON.stringify(url)} + '&for=fetch', { mode: 'no-cors' }).then((r) => r.type)`), 'opaque');
      const gets = proxy.seen.filter((e) => e.method === 'GET');
      assert.deepEqual(gets.map((e) => /for=(\w+)/.exec(e.path)?.[1]).sort(), ['fetch', 'img', 'video']);
      for (const exchange of gets) {
        assert.equal(exchange.status, 403);
        assert.equal(exchange.responseHeaders['content-type'], 'application/xml', `${exchange.path} with Accept ${exchange.requestHeaders.accept}`);
      }
    } finally {
      await page.close();
      await proxy.close();
    }
  });

  test('the JS SDK, boto3 and the aws CLI still read S3 error codes', async () => {
    const sdk = s3Client(live.server, WRONG_SECRET);
    try {
      await assert.rejects(sdk.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'doc.txt' })), (e: Error & { $metadata?: { httpStatusCode?: number } }) => {
        assert.equal(e.name, 'SignatureDoesNotMatch');
        assert.equal(e.$metadata?.httpStatusCode, 403);
        return true;
      });
    } finally {
      sdk.destroy();
    }
    const boto = await boto3<{ code: string; status: number }>(live.server, `${BOTO_HELPERS}\nout(client_error(s3.get_object, Bucket=args, Key='missing.txt'))`, BUCKET);
    assert.deepEqual([boto.code, boto.status], ['NoSuchKey', 404]);
    const cli = await aws(live.server, ['s3api', 'get-object', '--bucket', BUCKET, '--key', 'doc.txt', '/dev/null'], WRONG_SECRET);
    assert.notEqual(cli.code, 0);
    assert.match(cli.stderr, /An error occurred \(SignatureDoesNotMatch\) when calling the GetObject operation/);
  });

  test('rclone reads S3 error codes', { skip: RCLONE_MISSING }, async () => {
    const result = await rclone(live.server, ['cat', `lk:${BUCKET}/doc.txt`], WRONG_SECRET);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /SignatureDoesNotMatch/);
  });

  test('s3cmd reads S3 error codes', { skip: S3CMD_MISSING }, async () => {
    const result = await s3cmd(live.server, ['ls', `s3://${BUCKET}`], WRONG_SECRET);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /SignatureDoesNotMatch/);
  });
});
