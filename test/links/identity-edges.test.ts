import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { S3Error } from '../../src/errors.js';
import { beforeOption } from '../../src/cli/commands/link.js';
import { UsageError } from '../../src/cli/errors.js';
import { parseInstant } from '../../src/links/instant.js';
import { linkId, linkOfRequest, parseLinkForm, parseLinkUrl, signingTimeBound, LinkUrlError } from '../../src/links/link-identity.js';
import { hasControls, parseLinkControls } from '../../src/links/link-params.js';
import { presignPost } from '../../src/presign/post.js';
import { resolveAddress } from '../../src/s3/addressing.js';
import { parsePostPolicy } from '../../src/s3/post-object/policy.js';
import { nodeCrypto } from '../../src/sigv4/node-crypto.js';
import { presign } from '../../src/sigv4/sign.js';
import { signV2 } from '../../src/sigv4/sigv2.js';
import type { VerifiedV2 } from '../../src/sigv4/sigv2.js';
import type { VerifiedV4 } from '../../src/sigv4/verify.js';

/*
 * The pure parts of the link controls, in-process (mutation testing runs
 * these before the files that spawn a server): how a link is named, read from
 * a URL or a POST form, its X-Latchkey-* controls, and the admin API's instants.
 */

const CREDENTIALS = { accessKeyId: 'AKIDEDGES', secretAccessKey: 'edges/secret' };
const WEEK_MS = 7 * 86_400_000;
const READING = { region: 'us-east-1', address: (host: string, wirePath: string) => resolveAddress(host, wirePath, undefined), postPolicy: parsePostPolicy };

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function linkError(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof LinkUrlError && message.test(e.message));
}

function invalidArgument(fn: () => unknown, name: string, value: string, message: RegExp): void {
  assert.throws(
    fn,
    (e: unknown) => e instanceof S3Error && e.code === 'InvalidArgument' && e.status === 400 && e.details['ArgumentName'] === name && e.details['ArgumentValue'] === value && message.test(e.message),
  );
}

describe('link ids', () => {
  it('are the SHA-256 of the version and the signature, as stored revocations and counters name them', () => {
    // Revocations and use counters in the database outlive a server version: the spelling of an id must not drift.
    assert.equal(linkId(4, 'ABCdef01'), sha256('v4:abcdef01'));
    assert.equal(linkId(2, 'AbC+/='), sha256('v2:AbC+/='));
  });

  it('a signing time bound is the signing time when known, else the expiry less a week', () => {
    assert.equal(signingTimeBound({ id: 'x', version: 4, accessKeyId: 'A', signedAt: 5_000, expiresAt: WEEK_MS + 9_000 }), 5_000);
    assert.equal(signingTimeBound({ id: 'x', version: 2, accessKeyId: 'A', expiresAt: WEEK_MS + 9_000 }), 9_000);
  });
});

describe('linkOfRequest', () => {
  const v4: VerifiedV4 = {
    version: 4, mode: 'query', accessKeyId: 'AKV4', scope: { date: '20250102', region: 'us-east-1', service: 's3' }, amzDate: '20250102T000000Z',
    signedAt: 1_000, expiresAt: 61_000, payloadHash: 'UNSIGNED-PAYLOAD', signature: 'ABCDEF', signingKey: new Uint8Array(32),
  };

  it('names a query-signed SigV4 request by its signature, with its signer and times', () => {
    assert.deepEqual(linkOfRequest(v4, new Map()), { id: linkId(4, 'abcdef'), version: 4, accessKeyId: 'AKV4', signedAt: 1_000, expiresAt: 61_000 });
  });

  it('names a SigV2 link by the verified signature, else the query one; it has no signing time', () => {
    const v2: VerifiedV2 = { version: 2, mode: 'query', accessKeyId: 'AKV2', expiresAt: 60_000, signature: 'sig+A=' };
    assert.deepEqual(linkOfRequest(v2, new Map([['Signature', 'other']])), { id: linkId(2, 'sig+A='), version: 2, accessKeyId: 'AKV2', expiresAt: 60_000 });
    const { signature: _signature, ...unsigned } = v2;
    assert.equal(linkOfRequest(unsigned, new Map([['Signature', 'fromQuery']]))?.id, linkId(2, 'fromQuery'));
    assert.equal(linkOfRequest(unsigned, new Map())?.id, linkId(2, ''));
  });

  it('is undefined for anonymous, header-signed and unexpiring requests', () => {
    assert.equal(linkOfRequest({ version: 0 }, new Map()), undefined);
    assert.equal(linkOfRequest({ ...v4, mode: 'header' }, new Map()), undefined);
    const { expiresAt: _expiresAt, ...noExpiry } = v4;
    assert.equal(linkOfRequest(noExpiry, new Map()), undefined);
    assert.equal(linkOfRequest({ version: 2, mode: 'header', accessKeyId: 'A', signedAt: 1 }, new Map()), undefined);
  });
});

describe('parseLinkUrl', () => {
  const now = Date.UTC(2025, 0, 2, 3, 4, 5);

  it('trims the URL; a bucket and key appear only when the path names them', () => {
    const { url, signature } = presign({ method: 'GET', url: 'http://127.0.0.1:9000/', credentials: CREDENTIALS, region: 'us-east-1', now, expiresIn: 60, crypto: nodeCrypto });
    const parsed = parseLinkUrl(`  ${url}\n`, READING);
    assert.equal(parsed.link.id, linkId(4, signature));
    assert.equal('bucket' in parsed, false);
    assert.equal('key' in parsed, false);
    assert.deepEqual(parsed.controls, {});
    const bucketOnly = parseLinkUrl(presign({ method: 'GET', url: 'http://127.0.0.1:9000/photos', credentials: CREDENTIALS, region: 'us-east-1', now, expiresIn: 60, crypto: nodeCrypto }).url, READING);
    assert.equal(bucketOnly.bucket, 'photos');
    assert.equal('key' in bucketOnly, false);
  });

  it('reads a link whose controls are broken or whose path is unusable (it can still be revoked)', () => {
    const broken = presign({ method: 'GET', url: 'http://127.0.0.1:9000/b/k?X-Latchkey-Max-Uses=0', credentials: CREDENTIALS, region: 'us-east-1', now, expiresIn: 60, crypto: nodeCrypto });
    const parsed = parseLinkUrl(broken.url, READING);
    assert.deepEqual(parsed.controls, {});
    assert.equal(parsed.link.id, linkId(4, broken.signature));
    assert.equal(parsed.key, 'k');
    const unusable = presign({ method: 'GET', url: 'http://127.0.0.1:9000/Bad_Bucket!/k', credentials: CREDENTIALS, region: 'us-east-1', now, expiresIn: 60, crypto: nodeCrypto });
    const noBucket = parseLinkUrl(unusable.url, { region: 'us-east-1', address: () => { throw new Error('unusable path'); } });
    assert.equal(noBucket.link.id, linkId(4, unusable.signature));
    assert.equal('bucket' in noBucket, false);
  });

  it('reads a SigV2 URL: its expiry in ms', () => {
    const { url } = signV2({ mode: 'query', method: 'GET', url: 'http://127.0.0.1:9000/b/k', credentials: CREDENTIALS, now, expiresIn: 90, crypto: nodeCrypto });
    const parsed = parseLinkUrl(url, READING);
    assert.deepEqual({ ...parsed.link, id: '' }, { id: '', version: 2, accessKeyId: CREDENTIALS.accessKeyId, expiresAt: Math.floor(now / 1000) * 1000 + 90_000 });
  });

  it('says why a URL is refused', () => {
    linkError(() => parseLinkUrl('not a url', READING), /^url must be an absolute http\(s\) URL$/);
    linkError(() => parseLinkUrl('http://h/b/k?X-Amz-Signature=abc', READING), /^not a valid pre-signed URL: ./);
    linkError(() => parseLinkUrl('http://h/b/k', READING), /^not a pre-signed URL: it carries no X-Amz-Signature or Signature parameter$/);
    const header = presign({ method: 'GET', url: 'http://127.0.0.1:9000/b/k', credentials: CREDENTIALS, region: 'us-east-1', now, expiresIn: 60, crypto: nodeCrypto });
    // A region other than the server's is an AuthError of the parser, reported as such.
    linkError(() => parseLinkUrl(header.url, { ...READING, region: 'eu-west-1' }), /^not a valid pre-signed URL: /);
  });
});

describe('parseLinkForm', () => {
  const now = Date.UTC(2025, 0, 2, 3, 4, 5);
  const post = () => presignPost({ endpoint: 'http://127.0.0.1:9000', bucket: 'uploads', key: 'a.txt', credentials: CREDENTIALS, now, expiresIn: 600, crypto: nodeCrypto });

  it('reads a SigV4 form: signer, signing time, expiry, bucket; field names in any case; no controls', () => {
    const { fields, expiresAt } = post();
    const form: Record<string, unknown> = { size: 3, 'X-Amz-Date': fields['x-amz-date'] };
    for (const [name, value] of Object.entries(fields)) if (name !== 'x-amz-date') form[name.toUpperCase()] = value;
    const parsed = parseLinkForm(form, READING);
    assert.deepEqual(parsed, {
      link: { id: linkId(4, fields['x-amz-signature'] ?? ''), version: 4, accessKeyId: CREDENTIALS.accessKeyId, signedAt: now - (now % 1000), expiresAt: expiresAt.getTime() },
      bucket: 'uploads',
      controls: {},
    });
  });

  it('names the bucket only from an eq condition on the bucket field', () => {
    const policy = (conditions: unknown[]) => Buffer.from(JSON.stringify({ expiration: '2025-01-02T04:00:00Z', conditions })).toString('base64');
    const form = (conditions: unknown[]) => ({ policy: policy(conditions), signature: 'c2ln', AWSAccessKeyId: 'AKV2' });
    assert.equal('bucket' in parseLinkForm(form([['starts-with', '$bucket', 'up'], { key: 'k' }]), READING), false);
    assert.equal(parseLinkForm(form([{ key: 'k' }, ['eq', '$bucket', 'second']]), READING).bucket, 'second');
    const v2 = parseLinkForm(form([]), READING);
    assert.deepEqual(v2, { link: { id: linkId(2, 'c2ln'), version: 2, accessKeyId: 'AKV2', expiresAt: Date.UTC(2025, 0, 2, 4) }, controls: {} });
  });

  it('says what is missing', () => {
    const { fields } = post();
    linkError(() => parseLinkForm({ ...fields, policy: 7 }, READING), /^not a POST policy form: it has no policy field$/);
    linkError(() => parseLinkForm({ ...fields, policy: 'e30=' }, READING), /^not a POST policy form: its policy is not a valid policy document$/);
    const { 'x-amz-credential': _credential, ...noCredential } = fields;
    linkError(() => parseLinkForm(noCredential, READING), /^not a POST policy form: x-amz-credential or x-amz-date is missing$/);
    linkError(() => parseLinkForm({ ...fields, 'x-amz-credential': '/20250102/us-east-1/s3/aws4_request' }, READING), /x-amz-credential or x-amz-date is missing/);
    const { 'x-amz-date': _date, ...noDate } = fields;
    linkError(() => parseLinkForm(noDate, READING), /x-amz-credential or x-amz-date is missing/);
    linkError(() => parseLinkForm({ ...fields, 'x-amz-date': 'yesterday' }, READING), /x-amz-credential or x-amz-date is missing/);
    const { 'x-amz-signature': _signature, ...unsigned } = fields;
    linkError(() => parseLinkForm(unsigned, READING), /^not a signed POST policy form: it has no x-amz-signature or signature field$/);
    linkError(() => parseLinkForm({ policy: fields['policy'], signature: 'c2ln' }, READING), /no x-amz-signature or signature field/);
    linkError(() => parseLinkForm({ policy: fields['policy'], AWSAccessKeyId: 'AKV2' }, READING), /no x-amz-signature or signature field/);
  });
});

describe('parseLinkControls, edges', () => {
  it('names the refused parameter and value, and says what is accepted', () => {
    invalidArgument(() => parseLinkControls([['X-Latchkey-Expiry', '5']]), 'X-Latchkey-Expiry', '5', /^Unknown link control X-Latchkey-Expiry; Latchkey knows X-Latchkey-Max-Uses and X-Latchkey-Source-Ip$/);
    invalidArgument(() => parseLinkControls([['X-Latchkey-Source-IP', '10.0.0.1']]), 'X-Latchkey-Source-IP', '10.0.0.1', /^Unknown link control/);
    invalidArgument(() => parseLinkControls([['X-Latchkey-Source-Ip', '10.0.0.1'], ['X-Latchkey-Source-Ip', '10.0.0.2']]), 'X-Latchkey-Source-Ip', '10.0.0.2', /^X-Latchkey-Source-Ip may appear only once$/);
    invalidArgument(() => parseLinkControls([['X-Latchkey-Max-Uses', '1x']]), 'X-Latchkey-Max-Uses', '1x', /^X-Latchkey-Max-Uses must be a whole number from 1 to 1000000$/);
    invalidArgument(() => parseLinkControls([['X-Latchkey-Max-Uses', 'x1']]), 'X-Latchkey-Max-Uses', 'x1', /from 1 to/);
    invalidArgument(() => parseLinkControls([['X-Latchkey-Max-Uses', '12345678']]), 'X-Latchkey-Max-Uses', '12345678', /from 1 to/);
    invalidArgument(() => parseLinkControls([['X-Latchkey-Source-Ip', 'host']]), 'X-Latchkey-Source-Ip', 'host', /^X-Latchkey-Source-Ip must be an IPv4 or IPv6 address or CIDR block, such as 203.0.113.0\/24 or 2001:db8::\/32$/);
  });

  it('reads the limits at both ends and keeps the source text', () => {
    assert.deepEqual(parseLinkControls([['X-Latchkey-Max-Uses', '1']]), { maxUses: 1 });
    assert.equal(parseLinkControls([['X-Latchkey-Max-Uses', '999999']]).maxUses, 999_999);
    assert.deepEqual(parseLinkControls([['X-Latchkey-Source-Ip', '10.1.2.3']]), { sourceIp: { text: '10.1.2.3', block: { family: 4, base: 0x0a010203n, prefix: 32 } } });
  });

  it('maps only ::ffff:0:0/96 and narrower blocks to IPv4', () => {
    const block = (text: string) => parseLinkControls([['X-Latchkey-Source-Ip', text]]).sourceIp?.block;
    assert.deepEqual(block('::ffff:0.0.0.0/96'), { family: 4, base: 0n, prefix: 0 });
    assert.deepEqual(block('::ffff:10.0.0.1'), { family: 4, base: 0x0a000001n, prefix: 32 });
    // A /95 keeps only 0xfffe of the ffff group, so it never reads as mapped (the prefix test is a belt to those braces).
    assert.deepEqual(block('::ffff:0:0/95'), { family: 6, base: 0xfffen << 32n, prefix: 95 });
    assert.deepEqual(block('::fffe:10.0.0.0/104'), { family: 6, base: (0xfffen << 32n) | 0x0a000000n, prefix: 104 });
    assert.deepEqual(block('1::ffff:10.0.0.0/104'), { family: 6, base: (1n << 112n) | (0xffffn << 32n) | 0x0a000000n, prefix: 104 });
  });

  it('hasControls says whether either control is set', () => {
    assert.equal(hasControls({}), false);
    assert.equal(hasControls({ maxUses: 1 }), true);
    assert.equal(hasControls(parseLinkControls([['X-Latchkey-Source-Ip', '10.0.0.1']])), true);
  });
});

describe('parseInstant, edges', () => {
  it('the CLI says which instants it takes', () => {
    assert.throws(() => beforeOption('tomorrow'), (e: unknown) => e instanceof UsageError && e.message === "--before must be 'now' or ISO 8601 (2025-06-01, 2025-06-01T12:00:00Z, 2025-06-01T14:00:00+02:00), got 'tomorrow'");
  });

  const now = () => Date.UTC(2025, 5, 1, 12);
  it('reads now in any case and spacing, and ISO 8601 with a zone in either case', () => {
    assert.equal(parseInstant('  Now \n', now)?.getTime(), now());
    assert.equal(parseInstant(' 2025-06-01t12:00:00.123456789z ', now)?.toISOString(), '2025-06-01T12:00:00.123Z');
    assert.equal(parseInstant('2025-06-01T12:00:00-0130', now)?.toISOString(), '2025-06-01T13:30:00.000Z');
  });

  it('refuses anything around an instant, and instants that do not exist', () => {
    // 'Sun 2025-06-01' is a date Date.parse reads on its own, in local time: only the anchored pattern keeps it out.
    // Compared by getTime(): node:test's TAP reporter throws on an Invalid Date in a failed assertion, which would hide the failure.
    for (const text of ['Sun 2025-06-01', 'x2025-06-01', '2025-06-01x', '2025-06-01T12:00:00Zx', 'now!', '2025-06-01T25:00Z', '2025-06-01T12:00:00.1234567890Z', '2025-06-01T12Z']) {
      assert.equal(parseInstant(text, now)?.getTime(), undefined, text);
    }
  });

  it('refuses a day past its month\'s end, which Date.parse would roll over into the next month', () => {
    for (const text of ['2025-02-29', '2025-02-30', '2025-04-31', '2025-06-31T12:00Z', '2025-02-29T01:00+02:00']) assert.equal(parseInstant(text, now), undefined, text);
    assert.equal(parseInstant('2024-02-29', now)?.toISOString(), '2024-02-29T00:00:00.000Z');
    assert.equal(parseInstant('2025-01-31', now)?.toISOString(), '2025-01-31T00:00:00.000Z');
    // The day written is checked, not the day the instant falls on in UTC.
    assert.equal(parseInstant('2025-02-28T23:00-0200', now)?.toISOString(), '2025-03-01T01:00:00.000Z');
    assert.equal(parseInstant('2025-03-01T01:00+0200', now)?.toISOString(), '2025-02-28T23:00:00.000Z');
  });
});
