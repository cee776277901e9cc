import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { policyDocument, userWithPolicies } from '../helpers/admin-client.js';
import { assertBotoError, boto } from '../helpers/admin-boto.js';
import { aws, type TestCredentials } from '../helpers/clients.js';
import { cliErrorCode } from '../helpers/e2e-clients.js';
import { fingerprint, readDiskState } from '../helpers/disk-state.js';
import { startServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
let reader: TestCredentials;

before(async () => {
  server = await startServer();
  await boto(server, `
s3.create_bucket(Bucket='settings')
s3.put_object(Bucket='settings', Key='doc.txt', Body=b'hello')
out(True)
`);
  // May read the object but none of the settings.
  reader = (await userWithPolicies(server, 'object-reader', {
    read: policyDocument({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::settings/*' }),
  })).credentials;
});
after(async () => {
  await server?.stop();
});

describe('read-only bucket settings (ACLs disabled, versioning never enabled, no lifecycle, owner pays)', () => {
  it('boto3 reads the versioning status, the owner-only ACLs of a bucket and an object, the payer and the absent lifecycle', async () => {
    const r = await boto<Record<string, unknown>>(server, `
r = {}
v = s3.get_bucket_versioning(Bucket='settings')
r['versioning'] = {k: v for k, v in v.items() if k != 'ResponseMetadata'}
for name, acl in [('bucket', s3.get_bucket_acl(Bucket='settings')), ('object', s3.get_object_acl(Bucket='settings', Key='doc.txt'))]:
    r[name] = {'owner': acl['Owner'], 'grants': acl['Grants']}
r['payer'] = s3.get_bucket_request_payment(Bucket='settings')['Payer']
r['lifecycle'] = client_error(s3.get_bucket_lifecycle_configuration, Bucket='settings')
out(r)
`);
    assert.equal(r['payer'], 'BucketOwner');
    assertBotoError(r['lifecycle'], 'NoSuchLifecycleConfiguration', 404, 'lifecycle');
    // No Status element at all: what S3 answers for a bucket whose versioning was never set.
    assert.deepEqual(r['versioning'], {});
    for (const name of ['bucket', 'object']) {
      const acl = r[name] as { owner: { ID: string; DisplayName: string }; grants: unknown[] };
      assert.equal(acl.owner.ID, 'root');
      assert.deepEqual(acl.grants, [{ Grantee: { ID: 'root', DisplayName: 'root', Type: 'CanonicalUser' }, Permission: 'FULL_CONTROL' }], name);
    }
  });

  it('a missing bucket or key answers NoSuchBucket / NoSuchKey; a caller without the permission AccessDenied; nothing changes', async () => {
    const before = fingerprint(readDiskState(server.dataDir));
    const script = `
r = {}
r['versioning_missing'] = client_error(s3.get_bucket_versioning, Bucket='no-such-settings')
r['bucket_acl_missing'] = client_error(s3.get_bucket_acl, Bucket='no-such-settings')
r['object_acl_missing_bucket'] = client_error(s3.get_object_acl, Bucket='no-such-settings', Key='doc.txt')
r['object_acl_missing_key'] = client_error(s3.get_object_acl, Bucket='settings', Key='missing.txt')
r['payer_missing'] = client_error(s3.get_bucket_request_payment, Bucket='no-such-settings')
r['lifecycle_missing'] = client_error(s3.get_bucket_lifecycle_configuration, Bucket='no-such-settings')
out(r)
`;
    const root = await boto<Record<string, unknown>>(server, script);
    assertBotoError(root['versioning_missing'], 'NoSuchBucket', 404, 'versioning');
    assertBotoError(root['bucket_acl_missing'], 'NoSuchBucket', 404, 'bucket acl');
    assertBotoError(root['object_acl_missing_bucket'], 'NoSuchBucket', 404, 'object acl, bucket');
    assertBotoError(root['object_acl_missing_key'], 'NoSuchKey', 404, 'object acl, key');
    assertBotoError(root['payer_missing'], 'NoSuchBucket', 404, 'payer');
    assertBotoError(root['lifecycle_missing'], 'NoSuchBucket', 404, 'lifecycle');

    const denied = await boto<Record<string, unknown>>(server, `
r = {}
r['get'] = s3.get_object(Bucket='settings', Key='doc.txt')['Body'].read().decode()
r['versioning'] = client_error(s3.get_bucket_versioning, Bucket='settings')
r['bucket_acl'] = client_error(s3.get_bucket_acl, Bucket='settings')
r['object_acl'] = client_error(s3.get_object_acl, Bucket='settings', Key='doc.txt')
r['payer'] = client_error(s3.get_bucket_request_payment, Bucket='settings')
r['lifecycle'] = client_error(s3.get_bucket_lifecycle_configuration, Bucket='settings')
out(r)
`, null, reader);
    assert.equal(denied['get'], 'hello', 'the reader may read the object itself');
    for (const name of ['versioning', 'bucket_acl', 'object_acl', 'payer', 'lifecycle']) assertBotoError(denied[name], 'AccessDenied', 403, name);
    assert.equal(fingerprint(readDiskState(server.dataDir)), before);
  });
});

describe('ACLs are disabled (bucket owner enforced): writes that grant more than the owner has are refused, not ignored', () => {
  it('boto3: an owner-only canned ACL is accepted; public-read or a grant is AccessControlListNotSupported (bucket: InvalidBucketAclWithObjectOwnership); nothing changes', async () => {
    const r = await boto<Record<string, unknown>>(server, `
r = {}
r['put_private'] = s3.put_object(Bucket='settings', Key='acl/private.txt', Body=b'p', ACL='private')['ETag']
r['put_owner'] = s3.put_object(Bucket='settings', Key='acl/owner.txt', Body=b'o', ACL='bucket-owner-full-control')['ETag']
r['bucket_private'] = s3.create_bucket(Bucket='settings-private', ACL='private')['ResponseMetadata']['HTTPStatusCode']
out(r)
`);
    assert.equal(r['put_private'], '"83878c91171338902e0fe0fb97a8c47a"');
    assert.equal(r['bucket_private'], 200);

    const before = fingerprint(readDiskState(server.dataDir));
    const refused = await boto<Record<string, unknown>>(server, `
r = {}
r['put_public'] = client_error(s3.put_object, Bucket='settings', Key='acl/public.txt', Body=b'x', ACL='public-read')
r['put_grant'] = client_error(s3.put_object, Bucket='settings', Key='acl/grant.txt', Body=b'x', GrantRead='uri="http://acs.amazonaws.com/groups/global/AllUsers"')
r['copy_public'] = client_error(s3.copy_object, Bucket='settings', Key='acl/copy.txt', CopySource={'Bucket': 'settings', 'Key': 'doc.txt'}, ACL='public-read')
r['multipart_public'] = client_error(s3.create_multipart_upload, Bucket='settings', Key='acl/mp.bin', ACL='public-read-write')
r['bucket_public'] = client_error(s3.create_bucket, Bucket='settings-public', ACL='public-read')
r['put_bucket_acl_public'] = client_error(s3.put_bucket_acl, Bucket='settings', ACL='public-read')
r['put_object_acl_public'] = client_error(s3.put_object_acl, Bucket='settings', Key='doc.txt', ACL='public-read')
owner = {'ID': 'root', 'DisplayName': 'root'}
everyone = {'Grantee': {'Type': 'Group', 'URI': 'http://acs.amazonaws.com/groups/global/AllUsers'}, 'Permission': 'READ'}
r['put_bucket_acl_doc_public'] = client_error(s3.put_bucket_acl, Bucket='settings', AccessControlPolicy={'Owner': owner, 'Grants': [{'Grantee': {**owner, 'Type': 'CanonicalUser'}, 'Permission': 'FULL_CONTROL'}, everyone]})
r['put_object_acl_missing'] = client_error(s3.put_object_acl, Bucket='settings', Key='missing.txt', ACL='private')
out(r)
`);
    for (const name of ['put_public', 'put_grant', 'copy_public', 'multipart_public', 'put_bucket_acl_public', 'put_object_acl_public', 'put_bucket_acl_doc_public']) {
      assertBotoError(refused[name], 'AccessControlListNotSupported', 400, name);
    }
    assertBotoError(refused['bucket_public'], 'InvalidBucketAclWithObjectOwnership', 400, 'create_bucket');
    assertBotoError(refused['put_object_acl_missing'], 'NoSuchKey', 404, 'put_object_acl on a missing key');
    assert.equal(fingerprint(readDiskState(server.dataDir)), before);

    // The aws CLI's --acl public-read fails loudly instead of leaving a private object behind.
    const cli = await aws(server, ['s3api', 'put-object', '--bucket', 'settings', '--key', 'acl/cli.txt', '--acl', 'public-read']);
    assert.notEqual(cli.code, 0);
    assert.equal(cliErrorCode(cli), 'AccessControlListNotSupported');
    assert.equal(fingerprint(readDiskState(server.dataDir)), before);
  });

  it('PutBucketAcl / PutObjectAcl that grant the owner alone (canned or as a document) succeed and change nothing; without s3:PutObjectAcl, AccessDenied', async () => {
    const r = await boto<Record<string, unknown>>(server, `
owner = {'ID': 'root', 'DisplayName': 'root'}
r = {}
r['bucket_canned'] = s3.put_bucket_acl(Bucket='settings', ACL='private')['ResponseMetadata']['HTTPStatusCode']
r['bucket_doc'] = s3.put_bucket_acl(Bucket='settings', AccessControlPolicy={'Owner': owner, 'Grants': [{'Grantee': {**owner, 'Type': 'CanonicalUser'}, 'Permission': 'FULL_CONTROL'}]})['ResponseMetadata']['HTTPStatusCode']
r['object_canned'] = s3.put_object_acl(Bucket='settings', Key='doc.txt', ACL='bucket-owner-full-control')['ResponseMetadata']['HTTPStatusCode']
r['grants'] = s3.get_object_acl(Bucket='settings', Key='doc.txt')['Grants']
out(r)
`);
    assert.deepEqual([r['bucket_canned'], r['bucket_doc'], r['object_canned']], [200, 200, 200]);
    assert.deepEqual(r['grants'], [{ Grantee: { ID: 'root', DisplayName: 'root', Type: 'CanonicalUser' }, Permission: 'FULL_CONTROL' }]);
    const denied = await boto<Record<string, unknown>>(server, `
out({'object': client_error(s3.put_object_acl, Bucket='settings', Key='doc.txt', ACL='private'), 'bucket': client_error(s3.put_bucket_acl, Bucket='settings', ACL='private')})
`, null, reader);
    assertBotoError(denied['object'], 'AccessDenied', 403, 'put_object_acl');
    assertBotoError(denied['bucket'], 'AccessDenied', 403, 'put_bucket_acl');
  });
});
