import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertClientError as assertError, crc32cBase64, py, type PyClientError } from '../helpers/e2e-clients.js';
import { listDataFiles, objectsIn, snapshotState } from '../helpers/e2e-disk.js';
import { md5Hex, parseS3Error, sha256Hex, signedRequest } from '../helpers/e2e-http.js';
import { startServer, type TestServer } from '../helpers/server.js';

let server: TestServer;

before(async () => {
  server = await startServer();
});

after(async () => {
  await server.stop();
});

const MAKE_BUCKET = `b = args['bucket']\ns3.create_bucket(Bucket=b)\n`;

describe('boto3: objects', () => {
  it('put, get and head keep the bytes, system headers and user metadata', async () => {
    const r = await py<Record<string, unknown>>(server, `${MAKE_BUCKET}
p = s3.put_object(Bucket=b, Key='docs/greeting.txt', Body=b'hello latchkey', ContentType='text/plain', CacheControl='max-age=60', Metadata={'Color': 'blue', 'x-note': 'n1'})
g = s3.get_object(Bucket=b, Key='docs/greeting.txt')
h = s3.head_object(Bucket=b, Key='docs/greeting.txt')
out({'putEtag': p['ETag'], 'body': g['Body'].read().decode(), 'getType': g['ContentType'], 'getLength': g['ContentLength'],
     'head': {k: h[k] for k in ('ETag', 'ContentType', 'ContentLength', 'CacheControl', 'Metadata')}, 'headChecksums': [k for k in h if k.startswith('Checksum')]})
`, { bucket: 'b3-basic' });
    const etag = `"${md5Hex('hello latchkey')}"`;
    assert.equal(r['putEtag'], etag);
    assert.equal(r['body'], 'hello latchkey');
    assert.equal(r['getType'], 'text/plain');
    assert.equal(r['getLength'], 14);
    assert.deepEqual(r['head'], { ETag: etag, ContentType: 'text/plain', ContentLength: 14, CacheControl: 'max-age=60', Metadata: { color: 'blue', 'x-note': 'n1' } });
    assert.deepEqual(r['headChecksums'], [], 'checksums only with ChecksumMode=ENABLED');
    const [row] = objectsIn(await snapshotState(server), 'b3-basic');
    assert.equal(row?.key, 'docs/greeting.txt');
    assert.equal(row?.size, 14);
    // 14 bytes: kept in the database with its row, not in a file.
    assert.ok((await snapshotState(server)).files.includes(`inline/${row.blobId}`));
    assert.ok(!existsSync(join(server.dataDir, 'blobs', row.blobId.slice(0, 2), row.blobId)));
  });

  it('put_object and get_object of a 20 MiB body, then download_file (ranged parts), keep every byte', async () => {
    const r = await py<Record<string, string>>(server, `${MAKE_BUCKET}
data = os.urandom(20 * 1024 * 1024)
s3.put_object(Bucket=b, Key='big.bin', Body=data)
got = s3.get_object(Bucket=b, Key='big.bin')['Body'].read()
with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, 'big.bin')
    s3.download_file(b, 'big.bin', path)
    downloaded = open(path, 'rb').read()
out({'sent': hashlib.sha256(data).hexdigest(), 'got': hashlib.sha256(got).hexdigest(), 'downloaded': hashlib.sha256(downloaded).hexdigest(), 'md5': hashlib.md5(data).hexdigest()})
`, { bucket: 'b3-big' });
    assert.equal(r['got'], r['sent']);
    assert.equal(r['downloaded'], r['sent']);
    const [row] = objectsIn(await snapshotState(server), 'b3-big');
    assert.equal(row?.size, 20 * 1024 * 1024);
    assert.equal(row?.etag, r['md5']);
    assert.equal(statSync(join(server.dataDir, 'blobs', row.blobId.slice(0, 2), row.blobId)).size, 20 * 1024 * 1024, 'a large body is a blob file');
  });

  it('upload_fileobj and download_fileobj round-trip a 5 MiB stream', async () => {
    const r = await py<Record<string, string>>(server, `${MAKE_BUCKET}
data = os.urandom(5 * 1024 * 1024 + 3)
s3.upload_fileobj(io.BytesIO(data), b, 'stream.bin')
sink = io.BytesIO()
s3.download_fileobj(b, 'stream.bin', sink)
out({'sent': hashlib.sha256(data).hexdigest(), 'got': hashlib.sha256(sink.getvalue()).hexdigest()})
`, { bucket: 'b3-fileobj' });
    assert.equal(r['got'], r['sent']);
  });

  it('GetObject with Range: first bytes, suffix, open end, and 416 InvalidRange past the end', async () => {
    const r = await py<Record<string, unknown>>(server, `${MAKE_BUCKET}
s3.put_object(Bucket=b, Key='digits', Body=b'0123456789' * 10)
def ranged(spec):
    g = s3.get_object(Bucket=b, Key='digits', Range=spec)
    return {'status': g['ResponseMetadata']['HTTPStatusCode'], 'range': g.get('ContentRange'), 'length': g['ContentLength'], 'body': g['Body'].read().decode()}
out({'first': ranged('bytes=0-9'), 'suffix': ranged('bytes=-5'), 'open': ranged('bytes=10-'),
     'past': client_error(s3.get_object, Bucket=b, Key='digits', Range='bytes=100-')})
`, { bucket: 'b3-range' });
    assert.deepEqual(r['first'], { status: 206, range: 'bytes 0-9/100', length: 10, body: '0123456789' });
    assert.deepEqual(r['suffix'], { status: 206, range: 'bytes 95-99/100', length: 5, body: '56789' });
    assert.deepEqual(r['open'], { status: 206, range: 'bytes 10-99/100', length: 90, body: '0123456789'.repeat(9) });
    assertError(r['past'], 'InvalidRange', 416);
    assert.equal(r['past'].headers['content-range'], 'bytes */100');
  });

  it('conditional GETs: If-None-Match 304, If-Match 412, If-Modified-Since, If-Unmodified-Since', async () => {
    const r = await py<Record<string, unknown>>(server, `${MAKE_BUCKET}
from datetime import timedelta
etag = s3.put_object(Bucket=b, Key='k', Body=b'v1')['ETag']
lm = s3.head_object(Bucket=b, Key='k')['LastModified']
ok = lambda **kw: s3.get_object(Bucket=b, Key='k', **kw)['ResponseMetadata']['HTTPStatusCode']
err = lambda **kw: client_error(s3.get_object, Bucket=b, Key='k', **kw)
out({'noneMatchHit': err(IfNoneMatch=etag), 'noneMatchMiss': ok(IfNoneMatch='"0000"'),
     'matchHit': ok(IfMatch=etag), 'matchMiss': err(IfMatch='"0000"'),
     'modifiedSinceLm': err(IfModifiedSince=lm), 'modifiedSinceEarlier': ok(IfModifiedSince=lm - timedelta(days=1)),
     'unmodifiedSinceEarlier': err(IfUnmodifiedSince=lm - timedelta(days=1)), 'unmodifiedSinceLater': ok(IfUnmodifiedSince=lm + timedelta(days=1)),
     'matchBeatsUnmodified': ok(IfMatch=etag, IfUnmodifiedSince=lm - timedelta(days=1)),
     'headNoneMatch': client_error(s3.head_object, Bucket=b, Key='k', IfNoneMatch=etag)})
`, { bucket: 'b3-cond' });
    assertError(r['noneMatchHit'], '304', 304);
    assert.equal(r['noneMatchMiss'], 200);
    assert.equal(r['matchHit'], 200);
    assertError(r['matchMiss'], 'PreconditionFailed', 412);
    assertError(r['modifiedSinceLm'], '304', 304);
    assert.equal(r['modifiedSinceEarlier'], 200);
    assertError(r['unmodifiedSinceEarlier'], 'PreconditionFailed', 412);
    assert.equal(r['unmodifiedSinceLater'], 200);
    assert.equal(r['matchBeatsUnmodified'], 200);
    assertError(r['headNoneMatch'], '304', 304);
  });

  it('ResponseContentDisposition / ResponseContentType override the response, not the object', async () => {
    const r = await py<Record<string, unknown>>(server, `${MAKE_BUCKET}
s3.put_object(Bucket=b, Key='report.csv', Body=b'a,b', ContentType='text/csv')
g = s3.get_object(Bucket=b, Key='report.csv', ResponseContentDisposition='attachment; filename="r.csv"', ResponseContentType='application/x-test')
h = s3.head_object(Bucket=b, Key='report.csv')
out({'type': g['ContentType'], 'disposition': g['ContentDisposition'], 'storedType': h['ContentType'], 'storedDisposition': h.get('ContentDisposition')})
`, { bucket: 'b3-override' });
    assert.deepEqual(r, { type: 'application/x-test', disposition: 'attachment; filename="r.csv"', storedType: 'text/csv', storedDisposition: null });
  });

  it('checksums: default CRC32, SHA256 and CRC32C are stored and returned with ChecksumMode=ENABLED; a wrong one is BadDigest', async () => {
    await py(server, MAKE_BUCKET + 'out(None)', { bucket: 'b3-sum' });
    const before = await snapshotState(server);
    const r = await py<Record<string, unknown>>(server, `b = 'b3-sum'
import zlib
sums = lambda d: {k: v for k, v in d.items() if k.startswith('Checksum')}
dflt = s3.put_object(Bucket=b, Key='default', Body=b'hello')
sha = s3.put_object(Bucket=b, Key='sha', Body=b'hello', ChecksumAlgorithm='SHA256')
c32c = s3.put_object(Bucket=b, Key='c32c', Body=b'hello', ChecksumCRC32C=args['crc32c'])
out({'crc32': base64.b64encode(zlib.crc32(b'hello').to_bytes(4, 'big')).decode(), 'sha256': base64.b64encode(hashlib.sha256(b'hello').digest()).decode(),
     'put': [sums(dflt), sums(sha), sums(c32c)],
     'get': [sums(s3.get_object(Bucket=b, Key=k, ChecksumMode='ENABLED')) for k in ('default', 'sha')],
     'head': sums(s3.head_object(Bucket=b, Key='c32c', ChecksumMode='ENABLED')),
     'wrongCrc32c': client_error(s3.put_object, Bucket=b, Key='bad', Body=b'hello', ChecksumCRC32C='AAAAAA=='),
     'wrongSha256': client_error(s3.put_object, Bucket=b, Key='bad', Body=b'hello', ChecksumSHA256=base64.b64encode(hashlib.sha256(b'other').digest()).decode())})
`, { crc32c: crc32cBase64('hello') });
    const crc = { ChecksumCRC32: r['crc32'], ChecksumType: 'FULL_OBJECT' };
    const sha = { ChecksumSHA256: r['sha256'], ChecksumType: 'FULL_OBJECT' };
    const c32c = { ChecksumCRC32C: crc32cBase64('hello'), ChecksumType: 'FULL_OBJECT' };
    assert.deepEqual(r['put'], [crc, sha, c32c]);
    assert.deepEqual(r['get'], [crc, sha]);
    assert.deepEqual(r['head'], c32c);
    assertError(r['wrongCrc32c'], 'BadDigest', 400);
    assertError(r['wrongSha256'], 'BadDigest', 400);
    const afterPuts = await snapshotState(server);
    assert.deepEqual(objectsIn(afterPuts, 'b3-sum').map((o) => o.key), ['c32c', 'default', 'sha'], 'no "bad" object');
    assert.equal(afterPuts.files.length, before.files.length + 3, 'one blob per good put, none for the bad ones');
  });
});

describe('boto3: listing', () => {
  const KEYS = ['a/1', 'a/2', 'a/b/3', 'b/1', 'c', 'd', 'e/x'];

  it('list_objects_v2 pages with MaxKeys and groups with Delimiter (CommonPrefixes, KeyCount, ContinuationToken)', async () => {
    const r = await py<Record<string, unknown>>(server, `${MAKE_BUCKET}
for k in args['keys']:
    s3.put_object(Bucket=b, Key=k, Body=k.encode())
def pages(**kw):
    result, token = [], None
    while True:
        extra = {'ContinuationToken': token} if token else {}
        p = s3.list_objects_v2(Bucket=b, **kw, **extra)
        result.append({'keys': [o['Key'] for o in p.get('Contents', [])], 'prefixes': [c['Prefix'] for c in p.get('CommonPrefixes', [])],
                       'count': p['KeyCount'], 'truncated': p['IsTruncated'], 'echo': p.get('ContinuationToken') == token})
        token = p.get('NextContinuationToken')
        if not p['IsTruncated']:
            return result
out({'flat': pages(MaxKeys=3), 'grouped': pages(Delimiter='/', MaxKeys=2), 'prefixed': pages(Prefix='a/', Delimiter='/'),
     'badToken': client_error(s3.list_objects_v2, Bucket=b, ContinuationToken='not-a-token')})
`, { bucket: 'b3-list2', keys: KEYS });
    const page = (keys: string[], prefixes: string[], truncated: boolean) => ({ keys, prefixes, count: keys.length + prefixes.length, truncated, echo: true });
    assert.deepEqual(r['flat'], [page(['a/1', 'a/2', 'a/b/3'], [], true), page(['b/1', 'c', 'd'], [], true), page(['e/x'], [], false)]);
    assert.deepEqual(r['grouped'], [page([], ['a/', 'b/'], true), page(['c', 'd'], [], true), page([], ['e/'], false)]);
    assert.deepEqual(r['prefixed'], [page(['a/1', 'a/2'], ['a/b/'], false)]);
    assertError(r['badToken'], 'InvalidArgument', 400);
  });

  it("EncodingType='url' encodes odd keys and prefixes; botocore's own url encoding decodes back to the literal keys", async () => {
    const odd = ['sp ace', 'plus+sign', 'pct%41', 'amp&eq=?', 'é/unicode', 'line\nfeed', 'tab\tkey'];
    const r = await py<Record<string, unknown>>(server, `${MAKE_BUCKET}
from urllib.parse import unquote_plus
for k in args['keys']:
    s3.put_object(Bucket=b, Key=k, Body=b'x')
raw = s3.list_objects_v2(Bucket=b, EncodingType='url')
grouped = s3.list_objects_v2(Bucket=b, EncodingType='url', Delimiter='/')
plain = s3.list_objects_v2(Bucket=b, Delimiter='/')
out({'raw': [o['Key'] for o in raw['Contents']], 'encoding': raw.get('EncodingType'), 'rawDecoded': [unquote_plus(o['Key']) for o in raw['Contents']],
     'rawPrefixes': [c['Prefix'] for c in grouped['CommonPrefixes']], 'plain': [o['Key'] for o in plain['Contents']], 'plainPrefixes': [c['Prefix'] for c in plain['CommonPrefixes']]})
`, { bucket: 'b3-enc', keys: odd });
    const sorted = [...odd].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    assert.equal(r['encoding'], 'url');
    assert.deepEqual(r['rawDecoded'], sorted);
    for (const key of r['raw'] as string[]) assert.match(key, /^[A-Za-z0-9%/._~-]+$/, `encoded key ${JSON.stringify(key)}`);
    assert.ok((r['raw'] as string[]).includes('plus%2Bsign'), 'a literal + must be encoded, since decoders read + as space');
    assert.deepEqual(r['rawPrefixes'], ['%C3%A9/']);
    assert.deepEqual(r['plain'], sorted.filter((k) => !k.includes('/')));
    assert.deepEqual(r['plainPrefixes'], ['é/']);
  });

  it('list_objects (V1) continues with Marker: NextMarker with a delimiter, the last key without one', async () => {
    const r = await py<Record<string, unknown>>(server, `${MAKE_BUCKET}
for k in args['keys']:
    s3.put_object(Bucket=b, Key=k, Body=b'x')
def pages(**kw):
    result, marker = [], ''
    while True:
        p = s3.list_objects(Bucket=b, Marker=marker, **kw)
        keys = [o['Key'] for o in p.get('Contents', [])]
        prefixes = [c['Prefix'] for c in p.get('CommonPrefixes', [])]
        result.append({'keys': keys, 'prefixes': prefixes, 'marker': p.get('Marker'), 'next': p.get('NextMarker'), 'truncated': p['IsTruncated']})
        if not p['IsTruncated']:
            return result
        marker = p.get('NextMarker') or keys[-1]
out({'flat': pages(MaxKeys=4), 'grouped': pages(MaxKeys=2, Delimiter='/')})
`, { bucket: 'b3-list1', keys: KEYS });
    assert.deepEqual(r['flat'], [
      { keys: ['a/1', 'a/2', 'a/b/3', 'b/1'], prefixes: [], marker: '', next: null, truncated: true },
      { keys: ['c', 'd', 'e/x'], prefixes: [], marker: 'b/1', next: null, truncated: false },
    ]);
    assert.deepEqual(r['grouped'], [
      { keys: [], prefixes: ['a/', 'b/'], marker: '', next: 'b/', truncated: true },
      { keys: ['c', 'd'], prefixes: [], marker: 'b/', next: 'd', truncated: true },
      { keys: [], prefixes: ['e/'], marker: 'd', next: null, truncated: false },
    ]);
  });
});

describe('boto3: copy and delete', () => {
  it('copy_object with COPY and REPLACE directives; a failed CopySourceIfMatch is 412 and writes nothing', async () => {
    const r = await py<Record<string, unknown>>(server, `${MAKE_BUCKET}
src = s3.put_object(Bucket=b, Key='src', Body=b'source bytes', ContentType='text/plain', Metadata={'origin': 'src'})
s3.copy_object(Bucket=b, Key='copied', CopySource={'Bucket': b, 'Key': 'src'})
s3.copy_object(Bucket=b, Key='replaced', CopySource={'Bucket': b, 'Key': 'src'}, MetadataDirective='REPLACE', ContentType='application/json', Metadata={'fresh': 'yes'})
s3.copy_object(Bucket=b, Key='matched', CopySource={'Bucket': b, 'Key': 'src'}, CopySourceIfMatch=src['ETag'])
view = lambda k: (lambda h: {'type': h['ContentType'], 'meta': h['Metadata'], 'etag': h['ETag'], 'body': s3.get_object(Bucket=b, Key=k)['Body'].read().decode()})(s3.head_object(Bucket=b, Key=k))
out({'src': view('src'), 'copied': view('copied'), 'replaced': view('replaced'), 'matched': view('matched'),
     'toItself': client_error(s3.copy_object, Bucket=b, Key='src', CopySource={'Bucket': b, 'Key': 'src'})})
`, { bucket: 'b3-copy' });
    const etag = `"${md5Hex('source bytes')}"`;
    assert.deepEqual(r['src'], { type: 'text/plain', meta: { origin: 'src' }, etag, body: 'source bytes' });
    assert.deepEqual(r['copied'], r['src']);
    assert.deepEqual(r['matched'], r['src']);
    assert.deepEqual(r['replaced'], { type: 'application/json', meta: { fresh: 'yes' }, etag, body: 'source bytes' });
    assertError(r['toItself'], 'InvalidRequest', 400);

    const before = await snapshotState(server);
    const failed = await py<Record<string, unknown>>(server, `b = 'b3-copy'
out({'ifMatch': client_error(s3.copy_object, Bucket=b, Key='copied', CopySource={'Bucket': b, 'Key': 'src'}, MetadataDirective='REPLACE', CopySourceIfMatch='"0123"'),
     'missing': client_error(s3.copy_object, Bucket=b, Key='new', CopySource={'Bucket': b, 'Key': 'nope'})})
`);
    assertError(failed['ifMatch'], 'PreconditionFailed', 412);
    assertError(failed['missing'], 'NoSuchKey', 404);
    assert.deepEqual((await snapshotState(server)), before);
  });

  it('delete_object is 204 and idempotent; the blob goes with the row', async () => {
    const r = await py<Record<string, unknown>>(server, `${MAKE_BUCKET}
s3.put_object(Bucket=b, Key='gone', Body=b'bye')
s3.put_object(Bucket=b, Key='kept', Body=b'stay')
out(None)
`, { bucket: 'b3-del' });
    assert.equal(r, null);
    const before = await snapshotState(server);
    const gone = objectsIn(before, 'b3-del').find((o) => o.key === 'gone');
    assert.ok(gone);
    const statuses = await py<Record<string, unknown>>(server, `b = 'b3-del'
out({'first': s3.delete_object(Bucket=b, Key='gone')['ResponseMetadata']['HTTPStatusCode'],
     'again': s3.delete_object(Bucket=b, Key='gone')['ResponseMetadata']['HTTPStatusCode'],
     'never': s3.delete_object(Bucket=b, Key='never-existed')['ResponseMetadata']['HTTPStatusCode'],
     'get': client_error(s3.get_object, Bucket=b, Key='gone')})
`);
    assert.deepEqual([statuses['first'], statuses['again'], statuses['never']], [204, 204, 204]);
    assertError(statuses['get'], 'NoSuchKey', 404);
    const afterDelete = await snapshotState(server);
    assert.deepEqual(objectsIn(afterDelete, 'b3-del').map((o) => o.key), ['kept']);
    assert.ok(!afterDelete.files.some((f) => f.endsWith(gone.blobId)), 'the blob file is removed');
    assert.equal(afterDelete.files.length, before.files.length - 1);
  });

  it('delete_objects reports every key (missing ones too) unless Quiet', async () => {
    const r = await py<Record<string, unknown>>(server, `${MAKE_BUCKET}
for k in ['k1', 'k2', 'k3', 'k4', 'k5']:
    s3.put_object(Bucket=b, Key=k, Body=b'x')
loud = s3.delete_objects(Bucket=b, Delete={'Objects': [{'Key': 'k1'}, {'Key': 'k2'}, {'Key': 'missing'}]})
quiet = s3.delete_objects(Bucket=b, Delete={'Objects': [{'Key': 'k3'}, {'Key': 'k4'}], 'Quiet': True})
out({'loud': sorted(d['Key'] for d in loud.get('Deleted', [])), 'loudErrors': loud.get('Errors', []), 'quiet': quiet.get('Deleted', []), 'quietErrors': quiet.get('Errors', []),
     'left': [o['Key'] for o in s3.list_objects_v2(Bucket=b).get('Contents', [])]})
`, { bucket: 'b3-multi' });
    assert.deepEqual(r, { loud: ['k1', 'k2', 'missing'], loudErrors: [], quiet: [], quietErrors: [], left: ['k5'] });
    assert.deepEqual(objectsIn(await snapshotState(server), 'b3-multi').map((o) => o.key), ['k5']);
  });
});

describe('boto3: presigned URLs used with fetch', () => {
  for (const signer of ['s3', 's3v4'] as const) {
    const label = signer === 's3' ? 'default (SigV2)' : 'SigV4';
    const bucket = `b3-presign-${signer}`;

    it(`${label}: a presigned GET reads and a presigned PUT stores the body`, async () => {
      const urls = await py<Record<string, string>>(server, `${MAKE_BUCKET}
s3.put_object(Bucket=b, Key='readme.txt', Body=b'presigned read')
c = ${signer}
out({'get': c.generate_presigned_url('get_object', Params={'Bucket': b, 'Key': 'readme.txt'}, ExpiresIn=300),
     'put': c.generate_presigned_url('put_object', Params={'Bucket': b, 'Key': 'uploaded.bin'}, ExpiresIn=300)})
`, { bucket });
      assert.match(urls['get']!, signer === 's3' ? /[?&]Signature=/ : /[?&]X-Amz-Signature=/);
      const got = await fetch(urls['get']!);
      assert.equal(got.status, 200);
      assert.equal(await got.text(), 'presigned read');
      const body = new Uint8Array(Buffer.from('stored through a presigned PUT'));
      const put = await fetch(urls['put']!, { method: 'PUT', body });
      assert.equal(put.status, 200, await put.text());
      assert.equal(put.headers.get('etag'), `"${md5Hex(Buffer.from(body))}"`);
      const row = objectsIn(await snapshotState(server), bucket).find((o) => o.key === 'uploaded.bin');
      assert.equal(row?.size, body.length);
      assert.equal(row?.etag, md5Hex(Buffer.from(body)));
    });

    it(`${label}: a presigned PUT that signed ContentType refuses another Content-Type and leaves nothing on disk`, async () => {
      const { url } = await py<{ url: string }>(server, `b = '${bucket}'
out({'url': ${signer}.generate_presigned_url('put_object', Params={'Bucket': b, 'Key': 'typed.txt', 'ContentType': 'text/plain'}, ExpiresIn=300)})
`);
      const before = await snapshotState(server);
      const wrong = await fetch(url, { method: 'PUT', body: new Uint8Array(Buffer.from('nope')), headers: { 'content-type': 'image/png' } });
      // botocore's SigV2 links carry the signed type as a content-type query
      // parameter, so a different header is a header/query conflict there.
      const [status, code] = signer === 's3' ? [400, 'InvalidRequest'] : [403, 'SignatureDoesNotMatch'];
      assert.equal(wrong.status, status);
      assert.equal(parseS3Error(await wrong.text()).code, code);
      if (signer === 's3') {
        // Rewriting both the query parameter and the header still fails: the signature covers the type.
        assert.match(url, /content-type=text%2Fplain/);
        const forged = await fetch(url.replace('content-type=text%2Fplain', 'content-type=image%2Fpng'), {
          method: 'PUT',
          body: new Uint8Array(Buffer.from('nope')),
          headers: { 'content-type': 'image/png' },
        });
        assert.equal(forged.status, 403);
        assert.equal(parseS3Error(await forged.text()).code, 'SignatureDoesNotMatch');
      }
      assert.deepEqual((await snapshotState(server)), before);
      // The same URL with the signed type works: the refusal was about the header alone.
      const right = await fetch(url, { method: 'PUT', body: new Uint8Array(Buffer.from('yes')), headers: { 'content-type': 'text/plain' } });
      assert.equal(right.status, 200, await right.text());
      assert.equal(objectsIn(await snapshotState(server), bucket).find((o) => o.key === 'typed.txt')?.contentType, 'text/plain');
    });
  }
});

describe('boto3: rejections', () => {
  it('NoSuchBucket, NoSuchKey, BucketNotEmpty, BucketAlreadyOwnedByYou', async () => {
    const before = await snapshotState(server);
    const r = await py<Record<string, unknown>>(server, `
out({'putMissingBucket': client_error(s3.put_object, Bucket='b3-nowhere', Key='k', Body=b'x'),
     'listMissingBucket': client_error(s3.list_objects_v2, Bucket='b3-nowhere'),
     'deleteMissingBucket': client_error(s3.delete_bucket, Bucket='b3-nowhere'),
     'getMissingKey': client_error(s3.get_object, Bucket='b3-basic', Key='nope'),
     'headMissingKey': client_error(s3.head_object, Bucket='b3-basic', Key='nope'),
     'notEmpty': client_error(s3.delete_bucket, Bucket='b3-basic'),
     'again': client_error(s3.create_bucket, Bucket='b3-basic')})
`);
    assertError(r['putMissingBucket'], 'NoSuchBucket', 404);
    assertError(r['listMissingBucket'], 'NoSuchBucket', 404);
    assertError(r['deleteMissingBucket'], 'NoSuchBucket', 404);
    assertError(r['getMissingKey'], 'NoSuchKey', 404);
    assertError(r['headMissingKey'], '404', 404);
    assertError(r['notEmpty'], 'BucketNotEmpty', 409);
    assertError(r['again'], 'BucketAlreadyOwnedByYou', 409);
    assert.deepEqual((await snapshotState(server)), before);
  });

  it('InvalidBucketName for names S3 refuses, and no bucket appears', async () => {
    const names = ['ab', 'a'.repeat(64), 'UPPER', 'under_score', '-lead', 'trail-', 'dot..dot', '192.168.1.1', 'xn--punycode', 'name-s3alias', 'dash.-dot'];
    const before = await snapshotState(server);
    const r = await py<Record<string, PyClientError | null>>(server, `out({n: client_error(s3.create_bucket, Bucket=n) for n in args})`, names);
    for (const name of names) assertError(r[name], 'InvalidBucketName', 400);
    assert.deepEqual((await snapshotState(server)), before);
  });

  it('KeyTooLongError above 1024 UTF-8 bytes, BadDigest and InvalidDigest for Content-MD5: nothing written', async () => {
    const before = await snapshotState(server);
    const r = await py<Record<string, unknown>>(server, `b = 'b3-basic'
out({'tooLong': client_error(s3.put_object, Bucket=b, Key='\\u00e9' * 512 + 'a', Body=b'x'),
     'tooLongAscii': client_error(s3.put_object, Bucket=b, Key='k' * 1025, Body=b'x'),
     'badDigest': client_error(s3.put_object, Bucket=b, Key='md5', Body=b'hello', ContentMD5=base64.b64encode(hashlib.md5(b'other').digest()).decode()),
     'invalidDigest': client_error(s3.put_object, Bucket=b, Key='md5', Body=b'hello', ContentMD5='not-a-digest')})
`);
    assertError(r['tooLong'], 'KeyTooLongError', 400);
    assertError(r['tooLongAscii'], 'KeyTooLongError', 400);
    assertError(r['badDigest'], 'BadDigest', 400);
    assertError(r['invalidDigest'], 'InvalidDigest', 400);
    assert.deepEqual((await snapshotState(server)), before);
    // Exactly 1024 bytes is allowed.
    const ok = await py(server, `out(s3.put_object(Bucket='b3-basic', Key='\\u00e9' * 512, Body=b'x')['ResponseMetadata']['HTTPStatusCode'])`);
    assert.equal(ok, 200);
  });

  it('a wrong x-amz-content-sha256 is XAmzContentSHA256Mismatch (hand-signed), and writes nothing', async () => {
    const before = await snapshotState(server);
    const wrong = await signedRequest(server, { method: 'PUT', path: '/b3-basic/sha-check', body: 'hello', payloadHash: sha256Hex('other') });
    assert.equal(wrong.status, 400);
    assert.equal(parseS3Error(wrong.body).code, 'XAmzContentSHA256Mismatch');
    assert.deepEqual((await snapshotState(server)), before);
    const right = await signedRequest(server, { method: 'PUT', path: '/b3-basic/sha-check', body: 'hello' });
    assert.equal(right.status, 200, right.body.toString());
  });

  it("keys '../x', 'a/../b', 'a//b', './c' and NFC vs NFD forms are distinct literal keys; nothing lands outside the data dir", async () => {
    const nfc = 'caf\u00e9';
    const nfd = 'cafe\u0301';
    const keys = ['../x', 'a/../b', 'a//b', './c', '..', nfc, nfd];
    const escapees = [join(server.dataDir, '..', 'x'), join(server.dataDir, 'x'), join(server.dataDir, 'b'), join(server.dataDir, 'blobs', 'x')];
    const existedBefore = escapees.filter((p) => existsSync(p));
    const r = await py<Record<string, unknown>>(server, `${MAKE_BUCKET}
for i, k in enumerate(args['keys']):
    s3.put_object(Bucket=b, Key=k, Body=('body %d' % i).encode())
out({'listed': [o['Key'] for o in s3.list_objects_v2(Bucket=b)['Contents']],
     'bodies': [s3.get_object(Bucket=b, Key=k)['Body'].read().decode() for k in args['keys']],
     'plainB': client_error(s3.get_object, Bucket=b, Key='b')})
`, { bucket: 'b3-keys', keys });
    assert.deepEqual(r['bodies'], keys.map((_, i) => `body ${i}`));
    assert.deepEqual([...(r['listed'] as string[])].sort(), [...keys].sort());
    assertError(r['plainB'], 'NoSuchKey', 404);
    const rows = objectsIn(await snapshotState(server), 'b3-keys');
    assert.deepEqual(rows.map((o) => o.keyHex).sort(), keys.map((k) => Buffer.from(k).toString('hex')).sort());
    assert.ok(rows.some((o) => o.keyHex === Buffer.from(nfc).toString('hex')) && rows.some((o) => o.keyHex === Buffer.from(nfd).toString('hex')));
    assert.deepEqual(escapees.filter((p) => existsSync(p)), existedBefore);
    for (const file of listDataFiles(server.dataDir)) {
      assert.match(file, /^(metadata\.sqlite3(-wal|-shm)?|master\.key|latchkey\.lock|blobs\/[0-9a-f]{2}\/[0-9a-f]{32})$/, `unexpected file ${file}`);
    }
  });
});
