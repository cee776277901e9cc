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

describe('S3 features Latchkey does not have answer 501 NotImplemented and change nothing', () => {
  it('Object Lock, lifecycle, replication, website, inventory/analytics/metrics/tiering, bucket encryption, Select, restore, logging, notifications, acceleration, requester pays, torrents', async () => {
    const before = fingerprint(readDiskState(server.dataDir));
    const r = await boto<Record<string, unknown>>(server, `
B = {'Bucket': 'options'}
O = {'Bucket': 'options', 'Key': 'source.txt'}
calls = {
 'PutObjectLockConfiguration': lambda: s3.put_object_lock_configuration(**B, ObjectLockConfiguration={'ObjectLockEnabled': 'Enabled'}),
 'GetObjectLockConfiguration': lambda: s3.get_object_lock_configuration(**B),
 'PutObjectRetention': lambda: s3.put_object_retention(**O, Retention={'Mode': 'GOVERNANCE', 'RetainUntilDate': '2030-01-01T00:00:00Z'}),
 'GetObjectRetention': lambda: s3.get_object_retention(**O),
 'PutObjectLegalHold': lambda: s3.put_object_legal_hold(**O, LegalHold={'Status': 'ON'}),
 'GetObjectLegalHold': lambda: s3.get_object_legal_hold(**O),
 'PutBucketLifecycleConfiguration': lambda: s3.put_bucket_lifecycle_configuration(**B, LifecycleConfiguration={'Rules': [{'ID': 'r', 'Status': 'Enabled', 'Filter': {'Prefix': ''}, 'Expiration': {'Days': 1}}]}),
 'DeleteBucketLifecycle': lambda: s3.delete_bucket_lifecycle(**B),
 'PutBucketReplication': lambda: s3.put_bucket_replication(**B, ReplicationConfiguration={'Role': 'arn:aws:iam::1:role/r', 'Rules': [{'Status': 'Enabled', 'Priority': 1, 'Filter': {'Prefix': ''}, 'DeleteMarkerReplication': {'Status': 'Disabled'}, 'Destination': {'Bucket': 'arn:aws:s3:::other'}}]}),
 'GetBucketReplication': lambda: s3.get_bucket_replication(**B),
 'DeleteBucketReplication': lambda: s3.delete_bucket_replication(**B),
 'PutBucketWebsite': lambda: s3.put_bucket_website(**B, WebsiteConfiguration={'IndexDocument': {'Suffix': 'index.html'}}),
 'GetBucketWebsite': lambda: s3.get_bucket_website(**B),
 'DeleteBucketWebsite': lambda: s3.delete_bucket_website(**B),
 'PutBucketInventoryConfiguration': lambda: s3.put_bucket_inventory_configuration(**B, Id='i', InventoryConfiguration={'Id': 'i', 'IsEnabled': True, 'IncludedObjectVersions': 'Current', 'Schedule': {'Frequency': 'Daily'}, 'Destination': {'S3BucketDestination': {'Bucket': 'arn:aws:s3:::other', 'Format': 'CSV'}}}),
 'ListBucketInventoryConfigurations': lambda: s3.list_bucket_inventory_configurations(**B),
 'PutBucketAnalyticsConfiguration': lambda: s3.put_bucket_analytics_configuration(**B, Id='a', AnalyticsConfiguration={'Id': 'a', 'StorageClassAnalysis': {}}),
 'ListBucketAnalyticsConfigurations': lambda: s3.list_bucket_analytics_configurations(**B),
 'PutBucketMetricsConfiguration': lambda: s3.put_bucket_metrics_configuration(**B, Id='m', MetricsConfiguration={'Id': 'm'}),
 'ListBucketMetricsConfigurations': lambda: s3.list_bucket_metrics_configurations(**B),
 'ListBucketIntelligentTieringConfigurations': lambda: s3.list_bucket_intelligent_tiering_configurations(**B),
 'PutBucketEncryption': lambda: s3.put_bucket_encryption(**B, ServerSideEncryptionConfiguration={'Rules': [{'ApplyServerSideEncryptionByDefault': {'SSEAlgorithm': 'AES256'}}]}),
 'GetBucketEncryption': lambda: s3.get_bucket_encryption(**B),
 'SelectObjectContent': lambda: s3.select_object_content(**O, Expression='select * from s3object', ExpressionType='SQL', InputSerialization={'CSV': {}}, OutputSerialization={'CSV': {}}),
 'RestoreObject': lambda: s3.restore_object(**O, RestoreRequest={'Days': 1}),
 'PutBucketLogging': lambda: s3.put_bucket_logging(**B, BucketLoggingStatus={}),
 'GetBucketLogging': lambda: s3.get_bucket_logging(**B),
 'PutBucketNotificationConfiguration': lambda: s3.put_bucket_notification_configuration(**B, NotificationConfiguration={}),
 'GetBucketNotificationConfiguration': lambda: s3.get_bucket_notification_configuration(**B),
 'PutBucketAccelerateConfiguration': lambda: s3.put_bucket_accelerate_configuration(**B, AccelerateConfiguration={'Status': 'Enabled'}),
 'GetBucketAccelerateConfiguration': lambda: s3.get_bucket_accelerate_configuration(**B),
 'PutBucketRequestPayment': lambda: s3.put_bucket_request_payment(**B, RequestPaymentConfiguration={'Payer': 'Requester'}),
 'GetObjectTorrent': lambda: s3.get_object_torrent(**O),
 }
out({name: client_error(fn) for name, fn in calls.items()})
`);
    assert.equal(Object.keys(r).length, 33);
    for (const [name, error] of Object.entries(r)) assertBotoError(error, 'NotImplemented', 501, name);
    assert.equal(fingerprint(readDiskState(server.dataDir)), before);
  });
});
