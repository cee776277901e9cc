import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { policyDocument, userWithPolicies } from '../helpers/admin-client.js';
import { assertBotoError, boto } from '../helpers/admin-boto.js';
import { aws, type TestCredentials } from '../helpers/clients.js';
import { parseS3Error, signedRequest } from '../helpers/e2e-http.js';
import { startServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
let readerOnly: TestCredentials;

before(async () => {
  server = await startServer({ args: ['--no-console'] });
  await boto(server, `
s3.create_bucket(Bucket='attrs')
s3.put_object(Bucket='attrs', Key='single.txt', Body=b'hello attributes', ChecksumAlgorithm='SHA256')
part = b'p' * (5 * 1024 * 1024)
for key, algorithm in [('composite.bin', 'CRC32'), ('plain.bin', None)]:
    kw = {'ChecksumAlgorithm': algorithm} if algorithm else {}
    client = s3 if algorithm else session.client('s3', endpoint_url=endpoint, config=Config(request_checksum_calculation='when_required', s3={'addressing_style': 'path'}))
    upload = client.create_multipart_upload(Bucket='attrs', Key=key, **kw)['UploadId']
    parts = []
    for n in range(1, 4):
        r = client.upload_part(Bucket='attrs', Key=key, UploadId=upload, PartNumber=n, Body=part if n < 3 else b'tail', **kw)
        entry = {'PartNumber': n, 'ETag': r['ETag']}
        if algorithm: entry['ChecksumCRC32'] = r['ChecksumCRC32']
        parts.append(entry)
    client.complete_multipart_upload(Bucket='attrs', Key=key, UploadId=upload, MultipartUpload={'Parts': parts})
out(True)
`);
  readerOnly = (await userWithPolicies(server, 'get-only', {
    read: policyDocument({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::attrs/*' }),
  })).credentials;
});
after(async () => {
  await server?.stop();
});

const ALL = "['ETag', 'Checksum', 'ObjectParts', 'StorageClass', 'ObjectSize']";

describe('GetObjectAttributes', () => {
  it('a single PUT: unquoted ETag, its full-object checksum, size and storage class, no parts', async () => {
    const r = await boto<Record<string, unknown>>(server, `
a = s3.get_object_attributes(Bucket='attrs', Key='single.txt', ObjectAttributes=${ALL})
head = s3.head_object(Bucket='attrs', Key='single.txt', ChecksumMode='ENABLED')
a.pop('ResponseMetadata')
out({'attrs': a, 'etag': head['ETag'], 'sha': head['ChecksumSHA256']})
`);
    const attrs = r['attrs'] as Record<string, unknown>;
    assert.equal(`"${attrs['ETag'] as string}"`, r['etag']);
    assert.deepEqual(attrs['Checksum'], { ChecksumSHA256: r['sha'], ChecksumType: 'FULL_OBJECT' });
    assert.equal(attrs['ObjectSize'], 16);
    assert.equal(attrs['StorageClass'], 'STANDARD');
    assert.equal(attrs['ObjectParts'], undefined);
  });

  it('a multipart object with part checksums pages its parts with MaxParts and PartNumberMarker', async () => {
    const r = await boto<Record<string, unknown>>(server, `
first = s3.get_object_attributes(Bucket='attrs', Key='composite.bin', ObjectAttributes=${ALL}, MaxParts=2)
second = s3.get_object_attributes(Bucket='attrs', Key='composite.bin', ObjectAttributes=['ObjectParts'], MaxParts=2, PartNumberMarker=2)
only = s3.get_object_attributes(Bucket='attrs', Key='composite.bin', ObjectAttributes=['ObjectSize'])
only.pop('ResponseMetadata')
out({'first': first, 'second': second['ObjectParts'], 'only': only})
`);
    const first = r['first'] as Record<string, Record<string, unknown>>;
    assert.match(first['ETag'] as unknown as string, /^[0-9a-f]{32}-3$/);
    assert.equal(first['Checksum']!['ChecksumType'], 'COMPOSITE');
    assert.match(first['Checksum']!['ChecksumCRC32'] as string, /-3$/);
    const parts = first['ObjectParts']!;
    assert.equal(parts['TotalPartsCount'] ?? parts['PartsCount'], 3);
    assert.equal(parts['IsTruncated'], true);
    assert.equal(parts['NextPartNumberMarker'], 2);
    assert.deepEqual((parts['Parts'] as { PartNumber: number; Size: number }[]).map((p) => [p.PartNumber, p.Size]), [[1, 5 * 1024 * 1024], [2, 5 * 1024 * 1024]]);
    for (const p of parts['Parts'] as Record<string, unknown>[]) assert.match(p['ChecksumCRC32'] as string, /^[A-Za-z0-9+/]{6}==$/);
    const second = r['second'] as Record<string, unknown>;
    assert.equal(second['IsTruncated'], false);
    assert.deepEqual((second['Parts'] as { PartNumber: number; Size: number }[]).map((p) => [p.PartNumber, p.Size]), [[3, 4]]);
    assert.deepEqual(r['only'], { ObjectSize: 10 * 1024 * 1024 + 4, LastModified: (r['only'] as Record<string, unknown>)['LastModified'] });
  });

  it('a multipart object without part checksums reports only its part count; the aws CLI reads it too', async () => {
    const out = await aws(server, ['s3api', 'get-object-attributes', '--bucket', 'attrs', '--key', 'plain.bin', '--object-attributes', 'ObjectParts', 'ETag']);
    const parsed = JSON.parse(out.stdout) as { ObjectParts: Record<string, unknown>; ETag: string };
    assert.equal(parsed.ObjectParts['TotalPartsCount'] ?? parsed.ObjectParts['PartsCount'], 3);
    assert.equal(parsed.ObjectParts['Parts'], undefined);
    assert.match(parsed.ETag, /^[0-9a-f]{32}-3$/);
  });

  it('no or an unknown attribute name, a missing key, and a caller without s3:GetObjectAttributes are refused', async () => {
    const missing = await signedRequest(server, { method: 'GET', path: '/attrs/single.txt?attributes' });
    assert.equal(missing.status, 400);
    assert.equal(parseS3Error(missing.body).code, 'InvalidRequest');
    const unknown = await signedRequest(server, { method: 'GET', path: '/attrs/single.txt?attributes', headers: { 'x-amz-object-attributes': 'ETag,Owner' } });
    assert.equal(unknown.status, 400);
    assert.equal(parseS3Error(unknown.body).code, 'InvalidArgument');
    const r = await boto<Record<string, unknown>>(server, `
out({'nokey': client_error(s3.get_object_attributes, Bucket='attrs', Key='nope', ObjectAttributes=['ETag'])})
`);
    assertBotoError(r['nokey'], 'NoSuchKey', 404, 'no such key');
    const denied = await boto<Record<string, unknown>>(server, `
out({'denied': client_error(s3.get_object_attributes, Bucket='attrs', Key='single.txt', ObjectAttributes=['ETag'])})
`, null, readerOnly);
    assertBotoError(denied['denied'], 'AccessDenied', 403, 'GetObject alone');
  });
});
