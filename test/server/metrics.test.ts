import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { adminCall, expectStatus, policyDocument, userWithPolicies } from '../helpers/admin-client.js';
import { s3Client } from '../helpers/clients.js';
import { expectBody, expectS3Error, link, withParam } from '../helpers/links.js';
import { encodePolicy, postForm, v4AuthConditions, v4PolicyFields } from '../helpers/post-form.js';
import { loggedLines, ROOT_CREDENTIALS, startServer, type TestServer } from '../helpers/server.js';

const TOKEN = 'scrape-token-0123456789';
let server: TestServer;
let metricsUrl: string;
let client: S3Client;

before(async () => {
  server = await startServer({ args: ['--metrics-address', '127.0.0.1:0'], env: { LATCHKEY_METRICS_TOKEN: TOKEN } });
  const [line] = await loggedLines(server, (l) => l.includes('"msg":"metrics"'));
  metricsUrl = /"metrics":"([^"]+)"/.exec(line ?? '')?.[1] ?? '';
  assert.match(metricsUrl, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
  client = s3Client(server);
});
after(async () => {
  client?.destroy();
  await server?.stop();
});

async function scrape(): Promise<string> {
  const response = await fetch(metricsUrl, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return response.text();
}

/** The value of one series, labels given in any order; 0 when absent. */
function value(text: string, name: string, labels: Readonly<Record<string, string>> = {}): number {
  for (const line of text.split('\n')) {
    const m = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have: Record<string, string | undefined> = {};
    for (const x of (m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)) have[x[1] ?? ''] = x[2];
    if (Object.entries(labels).every(([k, v]) => have[k] === v) && Object.keys(have).length === Object.keys(labels).length) return Number(m[3]);
  }
  return 0;
}

/** Metrics are counted when a response's connection event fires: wait until the request counter reaches `total`. */
async function scrapeAfter(total: number): Promise<string> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const text = await scrape();
    const sum = text.split('\n').filter((l) => l.startsWith('latchkey_http_requests_total{')).reduce((s, l) => s + Number(l.split(' ').pop()), 0);
    if (sum >= total || Date.now() > deadline) return text;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('Prometheus metrics on --metrics-address', () => {
  it('refuses a scrape without the bearer token or with another one (401), serves only /metrics', async () => {
    const none = await fetch(metricsUrl);
    assert.equal(none.status, 401);
    assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="latchkey-metrics"');
    assert.equal((await fetch(metricsUrl, { headers: { authorization: `Bearer ${TOKEN}x` } })).status, 401);
    assert.equal((await fetch(metricsUrl, { headers: { authorization: TOKEN } })).status, 401);
    assert.equal((await fetch(metricsUrl.replace('/metrics', '/other'), { headers: { authorization: `Bearer ${TOKEN}` } })).status, 404);
  });

  it('counts a known sequence of requests by operation, status and auth, bytes, link uses and refusals by reason', async () => {
    const before = await scrape();
    const requestsBefore = before.split('\n').filter((l) => l.startsWith('latchkey_http_requests_total{')).reduce((s, l) => s + Number(l.split(' ').pop()), 0);
    assert.equal(requestsBefore, 0, 'the first scrape sees no S3 request yet');
    for (const reason of ['signature', 'expired', 'not_yet_valid', 'revoked', 'use_limit', 'source_ip', 'access_denied', 'invalid_key']) {
      assert.equal(value(before, 'latchkey_auth_refusals_total', { reason }), 0, reason);
      assert.match(before, new RegExp(`latchkey_auth_refusals_total\\{reason="${reason}"\\} 0`));
    }
    // Default process and Node.js metrics are there.
    assert.ok(value(before, 'process_resident_memory_bytes') > 0);
    assert.match(before, /^nodejs_eventloop_lag_seconds /m);

    let requests = 0;
    await client.send(new CreateBucketCommand({ Bucket: 'metered' })); // 1
    await client.send(new PutObjectCommand({ Bucket: 'metered', Key: 'a.txt', Body: 'x'.repeat(1000) })); // 2
    const got = await client.send(new GetObjectCommand({ Bucket: 'metered', Key: 'a.txt' })); // 3
    assert.equal((await got.Body?.transformToString())?.length, 1000);
    requests += 3;

    // Two good link uses, then refusals by reason.
    await expectBody(await fetch(link(server, 'metered', 'a.txt')), 'x'.repeat(1000));
    await expectBody(await fetch(link(server, 'metered', 'a.txt', { params: { 'X-Latchkey-Max-Uses': '1' } })), 'x'.repeat(1000));
    requests += 2;
    const once = link(server, 'metered', 'a.txt', { params: { 'X-Latchkey-Max-Uses': '1' } });
    await expectBody(await fetch(once), 'x'.repeat(1000));
    await expectS3Error(await fetch(once), 403, 'AccessDenied', 'Link use limit reached');
    requests += 2;
    const good = link(server, 'metered', 'a.txt');
    await expectS3Error(await fetch(withParam(good, 'X-Amz-Signature', '0'.repeat(64))), 403, 'SignatureDoesNotMatch');
    await expectS3Error(await fetch(link(server, 'metered', 'a.txt', { now: Date.now() - 3_600_000, expiresIn: 60 })), 403, 'AccessDenied', 'Request has expired');
    await expectS3Error(await fetch(link(server, 'metered', 'a.txt', { now: Date.now() + 3_600_000 })), 403, 'AccessDenied', 'Request is not yet valid');
    await expectS3Error(await fetch(link(server, 'metered', 'a.txt', { params: { 'X-Latchkey-Source-Ip': '10.0.0.0/8' } })), 403, 'AccessDenied', 'Link not valid from this address');
    await expectS3Error(await fetch(link(server, 'metered', 'a.txt', { credentials: { accessKeyId: 'LKNOSUCHKEY000000000', secretAccessKey: 'x' } })), 403, 'InvalidAccessKeyId');
    requests += 5;
    const revoked = link(server, 'metered', 'a.txt');
    expectStatus(await adminCall(server, 'POST', '/links/revoke', { body: { url: revoked } }), 200); // an admin request
    await expectS3Error(await fetch(revoked), 403, 'AccessDenied', 'Link revoked');
    requests += 2;
    const stranger = await userWithPolicies(server, 'stranger', {
      nothing: policyDocument({ Effect: 'Allow', Action: 's3:ListAllMyBuckets', Resource: '*' }),
    }); // three admin requests
    requests += 3;
    const strangerClient = s3Client(server, stranger.credentials);
    await assert.rejects(strangerClient.send(new GetObjectCommand({ Bucket: 'metered', Key: 'a.txt' })), { name: 'AccessDenied' });
    strangerClient.destroy();
    await expectS3Error(await fetch(`${server.endpoint}/metered/a.txt`), 403, 'AccessDenied'); // anonymous
    requests += 2;

    // A POST policy upload: a link use with auth "post".
    const conditions = [{ bucket: 'metered' }, ['starts-with', '$key', 'up/'], ...v4AuthConditions(ROOT_CREDENTIALS)];
    const policy = encodePolicy(new Date(Date.now() + 600_000), conditions);
    const posted = await postForm(`${server.endpoint}/metered`, [['key', 'up/b.txt'], ...v4PolicyFields(ROOT_CREDENTIALS, policy)], { filename: 'b.txt', content: 'posted' });
    assert.equal(posted.status, 204);
    requests += 1;

    const text = await scrapeAfter(requests);
    const count = (labels: Record<string, string>) => value(text, 'latchkey_http_requests_total', labels);
    assert.equal(count({ operation: 'CreateBucket', status: '200', auth: 'header' }), 1);
    assert.equal(count({ operation: 'PutObject', status: '200', auth: 'header' }), 1);
    assert.equal(count({ operation: 'GetObject', status: '200', auth: 'header' }), 1);
    assert.equal(count({ operation: 'GetObject', status: '200', auth: 'presigned' }), 3);
    assert.equal(count({ operation: 'GetObject', status: '403', auth: 'presigned' }), 7);
    assert.equal(count({ operation: 'GetObject', status: '403', auth: 'header' }), 1);
    assert.equal(count({ operation: 'GetObject', status: '403', auth: 'anonymous' }), 1);
    assert.equal(count({ operation: 'PostObject', status: '204', auth: 'post' }), 1);
    assert.equal(count({ operation: 'Admin:latchkey:RevokeLinks', status: '200', auth: 'header' }), 1);

    const reasons = Object.fromEntries(
      ['signature', 'expired', 'not_yet_valid', 'revoked', 'use_limit', 'source_ip', 'access_denied', 'invalid_key'].map((r) => [r, value(text, 'latchkey_auth_refusals_total', { reason: r })]),
    );
    assert.deepEqual(reasons, { signature: 1, expired: 1, not_yet_valid: 1, revoked: 1, use_limit: 1, source_ip: 1, access_denied: 2, invalid_key: 1 });
    assert.equal(value(text, 'latchkey_link_uses_total'), 4);
    assert.equal(value(text, 'latchkey_http_request_duration_seconds_count', { operation: 'GetObject' }), 13);
    // The PUT's 1000 bytes (plus the admin and POST bodies); at least the four 1000-byte GETs out.
    assert.ok(value(text, 'latchkey_http_request_bytes_total') >= 1000);
    assert.ok(value(text, 'latchkey_http_response_bytes_total') >= 4000);
    // Bounded labels: no bucket, key or access key anywhere in the exposition.
    assert.doesNotMatch(text, /metered|a\.txt|LKTEST|LKNOSUCH/);
  });

  it('names in the Grafana dashboard only series the server exposes', async () => {
    const dashboard = JSON.parse(readFileSync(new URL('../../docs/grafana-dashboard.json', import.meta.url), 'utf8')) as { panels: Array<{ targets: Array<{ expr: string }> }> };
    const text = await scrape();
    const names = new Set(dashboard.panels.flatMap((p) => p.targets.flatMap((t) => t.expr.match(/\b(?:latchkey|process|nodejs)_\w+/g) ?? [])));
    assert.ok(names.size >= 10);
    for (const name of names) assert.match(text, new RegExp(`^${name}[{ ]`, 'm'), name);
  });

  it('reports free space and the number of objects', async () => {
    const text = await scrape();
    assert.ok(value(text, 'latchkey_storage_free_bytes') > 0);
    assert.match(text, /^latchkey_storage_objects \d+$/m);
  });
});
