import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { policyDocument, userWithPolicies, type CreatedKey } from '../helpers/admin-client.js';
import { assertBotoError, boto } from '../helpers/admin-boto.js';
import { fingerprint, readState } from '../helpers/disk-state.js';
import { expectS3Error, link } from '../helpers/links.js';
import { startServer, type TestServer } from '../helpers/server.js';

/*
 * Tag permissions and the object-tag condition keys against the real server:
 * the policies of the signer decide, at the moment of each request, and a
 * pre-signed link is exactly as powerful as its signer.
 */

let server: TestServer;
let linker: CreatedKey;
let writer: CreatedKey;
let webTeam: CreatedKey;

before(async () => {
  server = await startServer({ args: ['--no-console'] });
  await boto(server, `
s3.create_bucket(Bucket='media')
s3.put_object(Bucket='media', Key='public.mp4', Body=b'public bytes', Tagging='public=yes')
s3.put_object(Bucket='media', Key='private.mp4', Body=b'private bytes')
s3.put_object(Bucket='media', Key='draft.mp4', Body=b'draft bytes', Tagging='public=no')
s3.put_object(Bucket='media', Key='src/ops.txt', Body=b'ops', Tagging='team=ops')
s3.put_object(Bucket='media', Key='src/web.txt', Body=b'web', Tagging='team=web')
out(True)
`);
  linker = await userWithPolicies(server, 'linker', {
    'read-public': policyDocument({
      Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::media/*', Condition: { StringEquals: { 's3:ExistingObjectTag/public': 'yes' } },
    }),
  });
  writer = await userWithPolicies(server, 'writer', {
    'put-only': policyDocument({ Effect: 'Allow', Action: ['s3:PutObject', 's3:GetObject'], Resource: 'arn:aws:s3:::media/uploads/*' }),
  });
  webTeam = await userWithPolicies(server, 'web-team', {
    'web-tags': policyDocument({
      Effect: 'Allow', Action: ['s3:PutObject', 's3:PutObjectTagging'], Resource: 'arn:aws:s3:::media/web/*',
      Condition: { StringEquals: { 's3:RequestObjectTag/team': 'web' } },
    }, { Effect: 'Allow', Action: ['s3:GetObject', 's3:GetObjectTagging'], Resource: 'arn:aws:s3:::media/src/*' }),
  });
});
after(async () => {
  await server?.stop();
});

async function unchangedOnDisk(): Promise<() => Promise<void>> {
  const before = fingerprint(await readState(server));
  return async () => assert.equal(fingerprint(await readState(server)), before, 'a refused request changed the data dir');
}

describe('"links may read only objects tagged public=yes" (s3:ExistingObjectTag)', () => {
  it('a pre-signed link works for the tagged object only, and follows the object\'s tags at the time of use', async () => {
    const credentials = linker.credentials;
    const toPublic = link(server, 'media', 'public.mp4', { credentials, expiresIn: 3600 });
    const toPrivate = link(server, 'media', 'private.mp4', { credentials, expiresIn: 3600 });
    const toDraft = link(server, 'media', 'draft.mp4', { credentials, expiresIn: 3600 });
    const toMissing = link(server, 'media', 'missing.mp4', { credentials, expiresIn: 3600 });
    const ok = await fetch(toPublic);
    assert.equal(ok.status, 200);
    assert.equal(await ok.text(), 'public bytes');
    await expectS3Error(await fetch(toPrivate), 403, 'AccessDenied');
    await expectS3Error(await fetch(toDraft), 403, 'AccessDenied');
    await expectS3Error(await fetch(toMissing), 403, 'AccessDenied');

    // The owner tags the private object public and untags the public one: the same links now answer the other way.
    await boto(server, `
s3.put_object_tagging(Bucket='media', Key='private.mp4', Tagging={'TagSet': [{'Key': 'public', 'Value': 'yes'}]})
s3.delete_object_tagging(Bucket='media', Key='public.mp4')
out(True)
`);
    const now = await fetch(toPrivate);
    assert.equal(now.status, 200);
    assert.equal(await now.text(), 'private bytes');
    await expectS3Error(await fetch(toPublic), 403, 'AccessDenied');
    // Restore for the other tests.
    await boto(server, `
s3.put_object_tagging(Bucket='media', Key='public.mp4', Tagging={'TagSet': [{'Key': 'public', 'Value': 'yes'}]})
s3.delete_object_tagging(Bucket='media', Key='private.mp4')
out(True)
`);
  });

  it('boto3 signed by the same user gets the same answers; its tags are not its to read without s3:GetObjectTagging', async () => {
    const r = await boto<Record<string, unknown>>(server, `
out({'public': s3.get_object(Bucket='media', Key='public.mp4')['Body'].read().decode(),
     'private': client_error(s3.get_object, Bucket='media', Key='private.mp4'),
     'tags': client_error(s3.get_object_tagging, Bucket='media', Key='public.mp4')})
`, null, linker.credentials);
    assert.equal(r['public'], 'public bytes');
    assertBotoError(r['private'], 'AccessDenied', 403, 'untagged object');
    assertBotoError(r['tags'], 'AccessDenied', 403, 'GetObjectTagging');
  });
});

describe('setting tags needs s3:PutObjectTagging', () => {
  it('PutObject with x-amz-tagging, CreateMultipartUpload with tags and PutObjectTagging are refused without it, and nothing is stored', async () => {
    const check = await unchangedOnDisk();
    const r = await boto<Record<string, unknown>>(server, `
out({'put': client_error(s3.put_object, Bucket='media', Key='uploads/a.txt', Body=b'x', Tagging='a=1'),
     'mpu': client_error(s3.create_multipart_upload, Bucket='media', Key='uploads/b.bin', Tagging='a=1'),
     'tagging': client_error(s3.put_object_tagging, Bucket='media', Key='uploads/a.txt', Tagging={'TagSet': []}),
     'bucket': client_error(s3.put_bucket_tagging, Bucket='media', Tagging={'TagSet': [{'Key': 'a', 'Value': '1'}]}),
     'getBucket': client_error(s3.get_bucket_tagging, Bucket='media')})
`, null, writer.credentials);
    for (const name of ['put', 'mpu', 'tagging', 'bucket', 'getBucket']) assertBotoError(r[name], 'AccessDenied', 403, name);
    await check();
    const plain = await boto<string>(server, "out(s3.put_object(Bucket='media', Key='uploads/a.txt', Body=b'x')['ETag'])", null, writer.credentials);
    assert.match(plain, /^"[0-9a-f]{32}"$/);
  });

  it('a copy of a tagged object needs s3:GetObjectTagging on the source and s3:PutObjectTagging on the copy; of an untagged one, neither', async () => {
    await boto(server, `
s3.put_object(Bucket='media', Key='uploads/tagged.txt', Body=b't', Tagging='k=v')
s3.put_object(Bucket='media', Key='uploads/untagged.txt', Body=b'u')
out(True)
`);
    const check = await unchangedOnDisk();
    const refused = await boto<unknown>(server, "out(client_error(s3.copy_object, Bucket='media', Key='uploads/copy.txt', CopySource='media/uploads/tagged.txt'))", null, writer.credentials);
    assertBotoError(refused, 'AccessDenied', 403, 'copy of a tagged object');
    await check();
    const copied = await boto<unknown>(server, "out(client_error(s3.copy_object, Bucket='media', Key='uploads/copy.txt', CopySource='media/uploads/untagged.txt'))", null, writer.credentials);
    assert.equal(copied, null);
  });
});

describe('"web/ may be written only tagged team=web" (s3:RequestObjectTag)', () => {
  it('PutObject with the tag succeeds; another value or no tag is AccessDenied, and nothing is stored', async () => {
    const ok = await boto<unknown>(server, "out(client_error(s3.put_object, Bucket='media', Key='web/a.txt', Body=b'web', Tagging='team=web'))", null, webTeam.credentials);
    assert.equal(ok, null);
    const check = await unchangedOnDisk();
    const r = await boto<Record<string, unknown>>(server, `
out({'ops': client_error(s3.put_object, Bucket='media', Key='web/b.txt', Body=b'x', Tagging='team=ops'),
     'none': client_error(s3.put_object, Bucket='media', Key='web/b.txt', Body=b'x'),
     'retag': client_error(s3.put_object_tagging, Bucket='media', Key='web/a.txt', Tagging={'TagSet': [{'Key': 'team', 'Value': 'ops'}]})})
`, null, webTeam.credentials);
    for (const name of ['ops', 'none', 'retag']) assertBotoError(r[name], 'AccessDenied', 403, name);
    await check();
    const retag = await boto<unknown>(server, "out(client_error(s3.put_object_tagging, Bucket='media', Key='web/a.txt', Tagging={'TagSet': [{'Key': 'team', 'Value': 'web'}, {'Key': 'n', 'Value': '2'}]}))", null, webTeam.credentials);
    assert.equal(retag, null);
    const tags = await boto<unknown>(server, "out(sorted([(t['Key'], t['Value']) for t in s3.get_object_tagging(Bucket='media', Key='web/a.txt')['TagSet']]))");
    assert.deepEqual(tags, [['n', '2'], ['team', 'web']]);
  });

  it('a copy is held to the tags it really sets: with COPY the header sets none (the source\'s are checked too), with REPLACE the header\'s', async () => {
    const check = await unchangedOnDisk();
    const refused = await boto<unknown>(server, "out(client_error(s3.copy_object, Bucket='media', Key='web/c.txt', CopySource='media/src/ops.txt', Tagging='team=web'))", null, webTeam.credentials);
    assertBotoError(refused, 'AccessDenied', 403, 'copying team=ops under a team=web header');
    await check();
    const r = await boto<Record<string, unknown>>(server, `
out({'copied': client_error(s3.copy_object, Bucket='media', Key='web/d.txt', CopySource='media/src/web.txt'),
     'replaced': client_error(s3.copy_object, Bucket='media', Key='web/e.txt', CopySource='media/src/ops.txt', TaggingDirective='REPLACE', Tagging='team=web')})
`, null, webTeam.credentials);
    assertBotoError(r['copied'], 'AccessDenied', 403, 'a copy that sets no tag through the request');
    assert.equal(r['replaced'], null);
  });
});
