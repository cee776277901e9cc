import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertBotoError, boto } from '../helpers/admin-boto.js';
import { fingerprint, readDiskState } from '../helpers/disk-state.js';
import { startServer, type TestServer } from '../helpers/server.js';

let server: TestServer;

before(async () => {
  server = await startServer();
  await boto(server, `
s3.create_bucket(Bucket='options')
s3.put_object(Bucket='options', Key='source.txt', Body=b'source')
out(True)
`);
});
after(async () => {
  await server?.stop();
});

describe('write options Latchkey does not have are refused, never dropped', () => {
  it('STANDARD storage class is accepted; another class, Object Lock or server-side encryption are refused, and nothing is written', async () => {
    const accepted = await boto<string>(server, `out(s3.put_object(Bucket='options', Key='standard.txt', Body=b's', StorageClass='STANDARD')['ETag'])`);
    assert.equal(accepted, '"03c7c0ace395d80182db07ae2c30f034"');

    const before = fingerprint(readDiskState(server.dataDir));
    const r = await boto<Record<string, unknown>>(server, `
import datetime
until = datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc)
put = lambda **kw: client_error(s3.put_object, Bucket='options', Key='refused.txt', Body=b'x', **kw)
r = {}
r['glacier'] = put(StorageClass='GLACIER')
r['standard_ia'] = put(StorageClass='STANDARD_IA')
r['lock_mode'] = put(ObjectLockMode='COMPLIANCE', ObjectLockRetainUntilDate=until)
r['legal_hold'] = put(ObjectLockLegalHoldStatus='ON')
r['sse_s3'] = put(ServerSideEncryption='AES256')
r['sse_kms'] = put(ServerSideEncryption='aws:kms', SSEKMSKeyId='alias/mine')
src = {'Bucket': 'options', 'Key': 'source.txt'}
r['copy_class'] = client_error(s3.copy_object, Bucket='options', Key='copied.txt', CopySource=src, StorageClass='DEEP_ARCHIVE')
r['copy_in_place_class'] = client_error(s3.copy_object, Bucket='options', Key='source.txt', CopySource=src, StorageClass='STANDARD_IA')
r['multipart_sse'] = client_error(s3.create_multipart_upload, Bucket='options', Key='mp.bin', ServerSideEncryption='AES256')
r['bucket_lock'] = client_error(s3.create_bucket, Bucket='options-locked', ObjectLockEnabledForBucket=True)
out(r)
`);
    for (const name of ['glacier', 'standard_ia', 'copy_class', 'copy_in_place_class']) assertBotoError(r[name], 'InvalidStorageClass', 400, name);
    for (const name of ['lock_mode', 'legal_hold']) assertBotoError(r[name], 'InvalidRequest', 400, name);
    for (const name of ['sse_s3', 'sse_kms', 'multipart_sse', 'bucket_lock']) assertBotoError(r[name], 'NotImplemented', 501, name);
    assert.equal(fingerprint(readDiskState(server.dataDir)), before);
  });

  it('SSE-C (a customer key): refused, so a body is never stored in the clear for a caller who believes only their key opens it', async () => {
    const before = fingerprint(readDiskState(server.dataDir));
    const r = await boto<Record<string, unknown>>(server, `
key = b'k' * 32
out({'put': client_error(s3.put_object, Bucket='options', Key='ssec.txt', Body=b'secret', SSECustomerAlgorithm='AES256', SSECustomerKey=key)})
`);
    assertBotoError(r['put'], 'NotImplemented', 501, 'SSE-C');
    assert.equal(fingerprint(readDiskState(server.dataDir)), before);
  });
});
