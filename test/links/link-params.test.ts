import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { S3Error } from '../../src/errors.js';
import { parseInstant } from '../../src/links/instant.js';
import { resolveAddress } from '../../src/s3/addressing.js';
import { linkId, parseLinkUrl, signingTimeBound, LinkUrlError } from '../../src/links/link-identity.js';
import { parseLinkControls } from '../../src/links/link-params.js';
import { beforeOption, sinceOption } from '../../src/cli/commands/link.js';
import { UsageError } from '../../src/cli/errors.js';
import { nodeCrypto } from '../../src/sigv4/node-crypto.js';
import { presign } from '../../src/sigv4/sign.js';
import { signV2 } from '../../src/sigv4/sigv2.js';

const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

function invalidArgument(fn: () => unknown, argumentName: string): void {
  assert.throws(fn, (e: unknown) => e instanceof S3Error && e.code === 'InvalidArgument' && e.status === 400 && e.details['ArgumentName'] === argumentName);
}

describe('parseLinkControls', () => {
  it('reads both controls and ignores other parameters', () => {
    const controls = parseLinkControls([['X-Latchkey-Max-Uses', '1000000'], ['X-Latchkey-Source-Ip', '2001:db8::/32'], ['X-Amz-Date', 'x'], ['versionId', '1']]);
    assert.equal(controls.maxUses, 1_000_000);
    assert.equal(controls.sourceIp?.block.family, 6);
    assert.equal(controls.sourceIp?.block.prefix, 32);
    assert.deepEqual(parseLinkControls([['response-content-type', 'text/plain']]), {});
  });

  it('takes an IPv4-mapped IPv6 block as the IPv4 block', () => {
    const block = parseLinkControls([['X-Latchkey-Source-Ip', '::ffff:10.0.0.0/104']]).sourceIp?.block;
    assert.deepEqual(block, { family: 4, base: 0x0a000000n, prefix: 8 });
  });

  it('refuses malformed values, unknown or miscased names and repeats with InvalidArgument', () => {
    for (const value of ['0', '1000001', '01', '1e3', ' 1', '']) invalidArgument(() => parseLinkControls([['X-Latchkey-Max-Uses', value]]), 'X-Latchkey-Max-Uses');
    for (const value of ['10.0.0.0/33', '300.0.0.1', '::g', '10.0.0.0/-1', '']) invalidArgument(() => parseLinkControls([['X-Latchkey-Source-Ip', value]]), 'X-Latchkey-Source-Ip');
    invalidArgument(() => parseLinkControls([['X-Latchkey-Expires', '1']]), 'X-Latchkey-Expires');
    invalidArgument(() => parseLinkControls([['x-latchkey-max-uses', '1']]), 'x-latchkey-max-uses');
    invalidArgument(() => parseLinkControls([['X-Latchkey-Max-Uses', '1'], ['X-Latchkey-Max-Uses', '1']]), 'X-Latchkey-Max-Uses');
  });
});

/** How the server reads a link's URL: its region, and S3's addressing under `domain`. */
function reading(domain: string | undefined) {
  return { region: 'us-east-1', address: (host: string, wirePath: string) => resolveAddress(host, wirePath, domain) };
}

describe('link identity', () => {
  it('names a link by a hash of its signature, whatever the hex case', () => {
    assert.equal(linkId(4, 'ABCDEF'), linkId(4, 'abcdef'));
    assert.notEqual(linkId(2, 'abc='), linkId(2, 'ABC='));
    assert.notEqual(linkId(4, 'abcdef'), linkId(2, 'abcdef'));
    assert.match(linkId(4, 'ab'), /^[0-9a-f]{64}$/);
  });

  it('reads a SigV4 URL: signer, times, bucket, key, controls', () => {
    const now = Date.UTC(2025, 0, 2, 3, 4, 5);
    const { url, signature } = presign({
      method: 'GET', url: 'http://127.0.0.1:9000/photos/a%20b.jpg?X-Latchkey-Max-Uses=3', credentials: CREDENTIALS, region: 'us-east-1', now, expiresIn: 3600, crypto: nodeCrypto,
    });
    const parsed = parseLinkUrl(url, reading(undefined));
    assert.equal(parsed.link.id, linkId(4, signature));
    assert.equal(parsed.link.accessKeyId, 'AKIDEXAMPLE');
    assert.equal(parsed.link.signedAt, now);
    assert.equal(parsed.link.expiresAt, now + 3_600_000);
    assert.equal(signingTimeBound(parsed.link), now);
    assert.equal(parsed.bucket, 'photos');
    assert.equal(parsed.key, 'a b.jpg');
    assert.equal(parsed.controls.maxUses, 3);
    assert.equal(parseLinkUrl(url, reading('127.0.0.1')).bucket, 'photos', 'not virtual-hosted');
  });

  it('reads a SigV2 URL and bounds its unknown signing time by its expiry less 7 days', () => {
    const now = Date.UTC(2025, 0, 2);
    const { url, signature } = signV2({ mode: 'query', method: 'GET', url: 'http://files.example.com/photos/cat.jpg', credentials: CREDENTIALS, now, expiresIn: 60, crypto: nodeCrypto });
    const parsed = parseLinkUrl(url, reading(undefined));
    assert.equal(parsed.link.version, 2);
    assert.equal(parsed.link.id, linkId(2, signature));
    assert.equal(parsed.link.signedAt, undefined);
    assert.equal(parsed.link.expiresAt, now + 60_000);
    assert.equal(signingTimeBound(parsed.link), now + 60_000 - 7 * 86_400_000);
  });

  it('refuses what is not a pre-signed URL', () => {
    for (const url of ['not a url', 'http://h/b/k', 'http://h/b/k?X-Amz-Signature=abc', 'http://h/b/k?AWSAccessKeyId=A&Signature=x']) {
      assert.throws(() => parseLinkUrl(url, reading(undefined)), LinkUrlError, url);
    }
  });
});

describe('instants', () => {
  const now = () => Date.UTC(2025, 5, 1, 12);
  it('accepts now, dates and date-times with a zone; never local time', () => {
    assert.equal(parseInstant('now', now)?.getTime(), now());
    assert.equal(parseInstant('2025-06-01', now)?.toISOString(), '2025-06-01T00:00:00.000Z');
    assert.equal(parseInstant('2025-06-01T14:00:00+02:00', now)?.toISOString(), '2025-06-01T12:00:00.000Z');
    assert.equal(parseInstant('2025-06-01T14:00:00+0200', now)?.toISOString(), '2025-06-01T12:00:00.000Z');
    assert.equal(parseInstant('2025-06-01T12:00Z', now)?.toISOString(), '2025-06-01T12:00:00.000Z');
    for (const text of ['2025-06-01T12:00:00', 'yesterday', '2025-13-01', '1717243200', '']) assert.equal(parseInstant(text, now), undefined, text);
  });

  it('CLI --before and --since', () => {
    assert.equal(beforeOption('NOW'), 'now');
    assert.equal(beforeOption('2025-06-01T14:00:00+02:00'), '2025-06-01T12:00:00.000Z');
    assert.throws(() => beforeOption('tomorrow'), UsageError);
    assert.equal(sinceOption('2h', now), '2025-06-01T10:00:00.000Z');
    assert.equal(sinceOption('7d', now), '2025-05-25T12:00:00.000Z');
    assert.equal(sinceOption('2025-06-01', now), '2025-06-01T00:00:00.000Z');
    assert.throws(() => sinceOption('2 hours', now), UsageError);
  });
});
