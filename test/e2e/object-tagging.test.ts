import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreateBucketCommand, GetObjectCommand, GetObjectTaggingCommand, HeadObjectCommand, PutBucketVersioningCommand, PutObjectCommand, PutObjectTaggingCommand,
} from '@aws-sdk/client-s3';
import { assertBotoError, boto } from '../helpers/admin-boto.js';
import { aws, s3Client } from '../helpers/clients.js';
import { fingerprint, readState } from '../helpers/disk-state.js';
import { parseS3Error, signedRequest } from '../helpers/e2e-http.js';
import { encodePolicy, postForm, v4AuthConditions, v4PolicyFields } from '../helpers/post-form.js';
import { ROOT_CREDENTIALS, startServer, type TestServer } from '../helpers/server.js';

let server: TestServer;

before(async () => {
  server = await startServer({ args: ['--no-console'] });
  await boto(server, `
s3.create_bucket(Bucket='tags')
s3.put_object(Bucket='tags', Key='plain.txt', Body=b'no tags')
out(True)
`);
});
after(async () => {
  await server?.stop();
});

/** Runs `request` (which must fail) and checks that nothing in the data dir changed. */
async function unchanged<T>(request: () => Promise<T>): Promise<T> {
  const before = fingerprint(await readState(server));
  const result = await request();
  assert.equal(fingerprint(await readState(server)), before, 'a refused request changed the data dir');
  return result;
}

function tagXml(tags: ReadonlyArray<readonly [string, string]>): string {
  return `<Tagging><TagSet>${tags.map(([k, v]) => `<Tag><Key>${k}</Key><Value>${v}</Value></Tag>`).join('')}</TagSet></Tagging>`;
}

describe('object tags (boto3)', () => {
  it('x-amz-tagging on PutObject, read back by GetObjectTagging, counted by GET and HEAD; replaced and deleted without touching the object', async () => {
    const r = await boto<Record<string, unknown>>(server, `
s3.put_object(Bucket='tags', Key='a.txt', Body=b'hello', Tagging='project=blue%20sky&empty=&ключ=значение')
first = s3.get_object_tagging(Bucket='tags', Key='a.txt')['TagSet']
head = s3.head_object(Bucket='tags', Key='a.txt')
get = s3.get_object(Bucket='tags', Key='a.txt')
s3.put_object_tagging(Bucket='tags', Key='a.txt', Tagging={'TagSet': [{'Key': 'state', 'Value': 'done: 1/2 = @+-_.'}]})
second = s3.get_object_tagging(Bucket='tags', Key='a.txt')['TagSet']
head2 = s3.head_object(Bucket='tags', Key='a.txt')
deleted = s3.delete_object_tagging(Bucket='tags', Key='a.txt')['ResponseMetadata']['HTTPStatusCode']
third = s3.get_object_tagging(Bucket='tags', Key='a.txt')['TagSet']
head3 = s3.head_object(Bucket='tags', Key='a.txt')
plain = s3.get_object(Bucket='tags', Key='plain.txt')
out({'first': first, 'count': head['ResponseMetadata']['HTTPHeaders'].get('x-amz-tagging-count'), 'getCount': get.get('TagCount'),
     'second': second, 'count2': head2['ResponseMetadata']['HTTPHeaders'].get('x-amz-tagging-count'),
     'sameObject': [head['ETag'] == head2['ETag'] == head3['ETag'], head['LastModified'] == head2['LastModified'] == head3['LastModified']],
     'deleted': deleted, 'third': third, 'count3': head3['ResponseMetadata']['HTTPHeaders'].get('x-amz-tagging-count'),
     'plainCount': plain['ResponseMetadata']['HTTPHeaders'].get('x-amz-tagging-count'), 'body': get['Body'].read().decode()})
`);
    const byKey = (set: unknown) => Object.fromEntries((set as { Key: string; Value: string }[]).map((t) => [t.Key, t.Value]));
    assert.deepEqual(byKey(r['first']), { project: 'blue sky', empty: '', ключ: 'значение' });
    assert.equal(r['count'], '3');
    assert.equal(r['getCount'], 3);
    assert.deepEqual(r['second'], [{ Key: 'state', Value: 'done: 1/2 = @+-_.' }]);
    assert.equal(r['count2'], '1');
    assert.deepEqual(r['sameObject'], [true, true]);
    assert.equal(r['deleted'], 204);
    assert.deepEqual(r['third'], []);
    assert.equal(r['count3'], null);
    assert.equal(r['plainCount'], null);
    assert.equal(r['body'], 'hello');
  });

  it('a new PUT of the key replaces the tags with its own (or none): they belong to the version', async () => {
    const r = await boto<unknown[]>(server, `
s3.put_object(Bucket='tags', Key='v.txt', Body=b'1', Tagging='gen=1')
s3.put_object(Bucket='tags', Key='v.txt', Body=b'2')
a = s3.get_object_tagging(Bucket='tags', Key='v.txt')['TagSet']
s3.put_object(Bucket='tags', Key='v.txt', Body=b'3', Tagging='gen=3')
b = s3.get_object_tagging(Bucket='tags', Key='v.txt')['TagSet']
out([a, b])
`);
    assert.deepEqual(r, [[], [{ Key: 'gen', Value: '3' }]]);
  });

  it('S3\'s limits, each with its error, and nothing stored: PutObjectTagging', async () => {
    await boto(server, "s3.put_object(Bucket='tags', Key='limits.txt', Body=b'x', Tagging='keep=me')\nout(True)");
    const cases: Array<[string, string, number, string]> = [
      [tagXml(Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v'])), 'BadRequest', 400, 'Object tags cannot be greater than 10'],
      [tagXml([['bad#key', 'v']]), 'InvalidTag', 400, 'The TagKey you have provided is invalid'],
      [tagXml([['k', 'bad&amp;value']]), 'InvalidTag', 400, 'The TagValue you have provided is invalid'],
      [tagXml([['', 'v']]), 'InvalidTag', 400, 'The TagKey you have provided is invalid'],
      [tagXml([['k'.repeat(129), 'v']]), 'InvalidTag', 400, 'The TagKey you have provided is invalid'],
      [tagXml([['k', 'v'.repeat(257)]]), 'InvalidTag', 400, 'The TagValue you have provided is invalid'],
      [tagXml([['dup', '1'], ['dup', '2']]), 'InvalidTag', 400, 'Cannot provide multiple Tags with the same key'],
      [tagXml([['aws:owner', 'me']]), 'InvalidTag', 400, 'Your TagKey cannot be prefixed with aws:'],
      ['<Tagging><TagSet><Tag><Key>k</Key></Tag></TagSet></Tagging>', 'MalformedXML', 400, ''],
      ['<Tagging></Tagging>', 'MalformedXML', 400, ''],
      ['<Tagging><TagSet>', 'MalformedXML', 400, ''],
    ];
    for (const [body, code, status, message] of cases) {
      const response = await unchanged(() => signedRequest(server, { method: 'PUT', path: '/tags/limits.txt?tagging', body }));
      assert.equal(response.status, status, body);
      const error = parseS3Error(response.body);
      assert.equal(error.code, code, body);
      if (message !== '') assert.equal(error.message, message, body);
    }
    // 128 and 256 Unicode characters (more bytes than that) are within the limits.
    const longest = tagXml([['ж'.repeat(128), 'й'.repeat(256)]]);
    assert.equal((await signedRequest(server, { method: 'PUT', path: '/tags/limits.txt?tagging', body: longest })).status, 200);
    const missing = await unchanged(() => signedRequest(server, { method: 'PUT', path: '/tags/nope.txt?tagging', body: tagXml([['a', 'b']]) }));
    assert.equal(missing.status, 404);
    assert.equal(parseS3Error(missing.body).code, 'NoSuchKey');
    const get = await signedRequest(server, { method: 'GET', path: '/tags/nope.txt?tagging' });
    assert.equal(parseS3Error(get.body).code, 'NoSuchKey');
    const del = await unchanged(() => signedRequest(server, { method: 'DELETE', path: '/tags/nope.txt?tagging' }));
    assert.equal(parseS3Error(del.body).code, 'NoSuchKey');
  });

  it('S3\'s limits on x-amz-tagging, and nothing stored: PutObject and CreateMultipartUpload', async () => {
    const r = await unchanged(() => boto<Record<string, unknown>>(server, `
many = '&'.join('k%d=v' % i for i in range(11))
cases = {'dup': 'a=1&a=2', 'empty-key': '=v', 'bad-escape': 'a=%zz', 'many': many, 'bad-char': 'a=b%23', 'aws': 'aws%3Ax=1', 'long': 'k=' + 'v' * 257}
put = {name: client_error(s3.put_object, Bucket='tags', Key='refused.txt', Body=b'x', Tagging=t) for name, t in cases.items()}
mpu = {name: client_error(s3.create_multipart_upload, Bucket='tags', Key='refused.bin', Tagging=t) for name, t in cases.items()}
uploads = s3.list_multipart_uploads(Bucket='tags').get('Uploads', [])
out({'put': put, 'mpu': mpu, 'uploads': len(uploads)})
`));
    const expected: Record<string, [string, number]> = {
      dup: ['InvalidArgument', 400], 'empty-key': ['InvalidArgument', 400], 'bad-escape': ['InvalidArgument', 400], many: ['BadRequest', 400],
      'bad-char': ['InvalidTag', 400], aws: ['InvalidTag', 400], long: ['InvalidTag', 400],
    };
    for (const op of ['put', 'mpu']) {
      const results = r[op] as Record<string, unknown>;
      for (const [name, [code, status]] of Object.entries(expected)) assertBotoError(results[name], code, status, `${op} ${name}`);
    }
    assert.equal(r['uploads'], 0);
    // As S3 reads the header: empty pairs are skipped, a key without "=" has an empty value.
    const lenient = await boto<unknown>(server, `
s3.put_object(Bucket='tags', Key='lenient.txt', Body=b'x', Tagging='&solo&k=v&&')
out(sorted([(t['Key'], t['Value']) for t in s3.get_object_tagging(Bucket='tags', Key='lenient.txt')['TagSet']]))
`);
    assert.deepEqual(lenient, [['k', 'v'], ['solo', '']]);
  });

  it('CopyObject copies the source\'s tags (COPY, the default) or sets the request\'s (REPLACE)', async () => {
    const r = await boto<Record<string, unknown>>(server, `
s3.put_object(Bucket='tags', Key='src.txt', Body=b'source', Tagging='origin=src&n=1')
s3.copy_object(Bucket='tags', Key='copy-default.txt', CopySource='tags/src.txt', Tagging='ignored=1')
s3.copy_object(Bucket='tags', Key='copy-replace.txt', CopySource='tags/src.txt', TaggingDirective='REPLACE', Tagging='fresh=yes')
s3.copy_object(Bucket='tags', Key='copy-none.txt', CopySource='tags/src.txt', TaggingDirective='REPLACE')
tags = {k: sorted([(t['Key'], t['Value']) for t in s3.get_object_tagging(Bucket='tags', Key=k)['TagSet']]) for k in ['copy-default.txt', 'copy-replace.txt', 'copy-none.txt']}
bad = client_error(s3.copy_object, Bucket='tags', Key='copy-bad.txt', CopySource='tags/src.txt', TaggingDirective='MERGE')
badtags = client_error(s3.copy_object, Bucket='tags', Key='copy-bad.txt', CopySource='tags/src.txt', TaggingDirective='REPLACE', Tagging='a=1&a=2')
exists = client_error(s3.head_object, Bucket='tags', Key='copy-bad.txt')
out({'tags': tags, 'bad': bad, 'badtags': badtags, 'exists': exists})
`);
    assert.deepEqual(r['tags'], {
      'copy-default.txt': [['n', '1'], ['origin', 'src']],
      'copy-replace.txt': [['fresh', 'yes']],
      'copy-none.txt': [],
    });
    assertBotoError(r['bad'], 'InvalidArgument', 400, 'unknown directive');
    assertBotoError(r['badtags'], 'InvalidArgument', 400, 'bad x-amz-tagging');
    assertBotoError(r['exists'], '404', 404, 'refused copies store nothing');
  });

  it('CreateMultipartUpload\'s tags are the completed object\'s', async () => {
    const r = await boto<unknown>(server, `
u = s3.create_multipart_upload(Bucket='tags', Key='multi.bin', Tagging='kind=multipart&size=small')['UploadId']
p = s3.upload_part(Bucket='tags', Key='multi.bin', UploadId=u, PartNumber=1, Body=b'part one')
s3.complete_multipart_upload(Bucket='tags', Key='multi.bin', UploadId=u, MultipartUpload={'Parts': [{'PartNumber': 1, 'ETag': p['ETag']}]})
h = s3.head_object(Bucket='tags', Key='multi.bin')
out([sorted([(t['Key'], t['Value']) for t in s3.get_object_tagging(Bucket='tags', Key='multi.bin')['TagSet']]), h['ResponseMetadata']['HTTPHeaders'].get('x-amz-tagging-count')])
`);
    assert.deepEqual(r, [[['kind', 'multipart'], ['size', 'small']], '2']);
  });
});

describe('bucket tags (boto3)', () => {
  it('NoSuchTagSet until set; replaced, read back, deleted', async () => {
    const r = await boto<Record<string, unknown>>(server, `
s3.create_bucket(Bucket='btags')
none = client_error(s3.get_bucket_tagging, Bucket='btags')
put = s3.put_bucket_tagging(Bucket='btags', Tagging={'TagSet': [{'Key': 'team', 'Value': 'media'}, {'Key': 'cost centre', 'Value': '42'}]})
got = s3.get_bucket_tagging(Bucket='btags')['TagSet']
s3.put_bucket_tagging(Bucket='btags', Tagging={'TagSet': [{'Key': 'k%d' % i, 'Value': 'v'} for i in range(50)]})
fifty = len(s3.get_bucket_tagging(Bucket='btags')['TagSet'])
deleted = s3.delete_bucket_tagging(Bucket='btags')['ResponseMetadata']['HTTPStatusCode']
gone = client_error(s3.get_bucket_tagging, Bucket='btags')
missing = client_error(s3.get_bucket_tagging, Bucket='no-such-bucket-here')
out({'none': none, 'put': put['ResponseMetadata']['HTTPStatusCode'], 'got': got, 'fifty': fifty, 'deleted': deleted, 'gone': gone, 'missing': missing})
`);
    assertBotoError(r['none'], 'NoSuchTagSet', 404);
    assert.equal(r['put'], 204);
    assert.deepEqual(r['got'], [{ Key: 'team', Value: 'media' }, { Key: 'cost centre', Value: '42' }]);
    assert.equal(r['fifty'], 50);
    assert.equal(r['deleted'], 204);
    assertBotoError(r['gone'], 'NoSuchTagSet', 404);
    assertBotoError(r['missing'], 'NoSuchBucket', 404);
  });

  it('S3\'s limits on bucket tags, and nothing stored', async () => {
    await boto(server, "s3.put_bucket_tagging(Bucket='btags', Tagging={'TagSet': [{'Key': 'keep', 'Value': 'me'}]})\nout(True)");
    const r = await unchanged(() => boto<Record<string, unknown>>(server, `
def put(tags): return client_error(s3.put_bucket_tagging, Bucket='btags', Tagging={'TagSet': [{'Key': k, 'Value': v} for k, v in tags]})
out({'many': put([('k%d' % i, 'v') for i in range(51)]), 'aws': put([('aws:x', '1')]), 'dup': put([('a', '1'), ('a', '2')]),
     'char': put([('a', 'b#')]), 'long': put([('k' * 129, 'v')])})
`));
    assertBotoError(r['many'], 'BadRequest', 400, 'many');
    assertBotoError(r['aws'], 'InvalidTag', 400, 'aws');
    assertBotoError(r['dup'], 'InvalidTag', 400, 'dup');
    assertBotoError(r['char'], 'InvalidTag', 400, 'char');
    assertBotoError(r['long'], 'InvalidTag', 400, 'long');
    assert.deepEqual((await readState(server)).bucketTags['btags'], JSON.stringify({ keep: 'me' }));
  });
});

describe('tags through the aws CLI and the JS SDK', () => {
  it('aws s3api put-object --tagging, get/put-object-tagging, put/get-bucket-tagging', async () => {
    const put = await aws(server, ['s3api', 'put-object', '--bucket', 'tags', '--key', 'cli.txt', '--tagging', 'from=cli&n=1']);
    assert.equal(put.code, 0, put.stderr);
    const got = await aws(server, ['s3api', 'get-object-tagging', '--bucket', 'tags', '--key', 'cli.txt']);
    assert.equal(got.code, 0, got.stderr);
    const set = (JSON.parse(got.stdout) as { TagSet: { Key: string; Value: string }[] }).TagSet;
    assert.deepEqual(Object.fromEntries(set.map((t) => [t.Key, t.Value])), { from: 'cli', n: '1' });
    const replace = await aws(server, ['s3api', 'put-object-tagging', '--bucket', 'tags', '--key', 'cli.txt', '--tagging', 'TagSet=[{Key=state,Value=new}]']);
    assert.equal(replace.code, 0, replace.stderr);
    const again = JSON.parse((await aws(server, ['s3api', 'get-object-tagging', '--bucket', 'tags', '--key', 'cli.txt'])).stdout) as { TagSet: unknown };
    assert.deepEqual(again.TagSet, [{ Key: 'state', Value: 'new' }]);
    const tooMany = await aws(server, ['s3api', 'put-object-tagging', '--bucket', 'tags', '--key', 'cli.txt', '--tagging',
      `TagSet=[${Array.from({ length: 11 }, (_, i) => `{Key=k${i},Value=v}`).join(',')}]`]);
    assert.notEqual(tooMany.code, 0);
    assert.match(tooMany.stderr, /BadRequest/);
    const bucket = await aws(server, ['s3api', 'put-bucket-tagging', '--bucket', 'tags', '--tagging', 'TagSet=[{Key=env,Value=test}]']);
    assert.equal(bucket.code, 0, bucket.stderr);
    const bucketTags = JSON.parse((await aws(server, ['s3api', 'get-bucket-tagging', '--bucket', 'tags'])).stdout) as { TagSet: unknown };
    assert.deepEqual(bucketTags.TagSet, [{ Key: 'env', Value: 'test' }]);
  });

  it('the JS SDK: Tagging on PutObject, TagCount on GetObject, Put/GetObjectTagging', async () => {
    const s3 = s3Client(server);
    await s3.send(new PutObjectCommand({ Bucket: 'tags', Key: 'sdk.txt', Body: 'sdk', Tagging: 'a=1&b=2' }));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'tags', Key: 'sdk.txt' }));
    assert.equal(got.TagCount, 2);
    await got.Body?.transformToString();
    await s3.send(new PutObjectTaggingCommand({ Bucket: 'tags', Key: 'sdk.txt', Tagging: { TagSet: [{ Key: 'c', Value: '3' }] } }));
    const tags = await s3.send(new GetObjectTaggingCommand({ Bucket: 'tags', Key: 'sdk.txt' }));
    assert.deepEqual(tags.TagSet, [{ Key: 'c', Value: '3' }]);
  });

  it('in a versioned bucket each version keeps its own tags; tagging an older version by versionId is 501 NotImplemented and changes nothing', async () => {
    const s3 = s3Client(server);
    await s3.send(new CreateBucketCommand({ Bucket: 'tagver' }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: 'tagver', VersioningConfiguration: { Status: 'Enabled' } }));
    const v1 = (await s3.send(new PutObjectCommand({ Bucket: 'tagver', Key: 'k', Body: 'one', Tagging: 'a=1' }))).VersionId;
    await s3.send(new PutObjectCommand({ Bucket: 'tagver', Key: 'k', Body: 'two', Tagging: 'b=2&c=3' }));
    assert.deepEqual((await s3.send(new GetObjectTaggingCommand({ Bucket: 'tagver', Key: 'k' }))).TagSet, [{ Key: 'b', Value: '2' }, { Key: 'c', Value: '3' }]);
    assert.equal((await s3.send(new HeadObjectCommand({ Bucket: 'tagver', Key: 'k', VersionId: v1 }))).TagCount, 1);
    for (const [method, body] of [['GET', undefined], ['PUT', tagXml([['x', 'y']])], ['DELETE', undefined]] as const) {
      const response = await unchanged(() => signedRequest(server, { method, path: `/tagver/k?tagging&versionId=${v1}`, ...(body === undefined ? {} : { body }) }));
      assert.equal(response.status, 501, method);
      assert.equal(parseS3Error(response.body).code, 'NotImplemented', method);
    }
    assert.equal((await s3.send(new HeadObjectCommand({ Bucket: 'tagver', Key: 'k', VersionId: v1 }))).TagCount, 1);
  });
});

describe('tags in a POST form upload', () => {
  const url = () => `${server.endpoint}/tags`;
  function form(tagging: string): Array<[string, string]> {
    const policy = encodePolicy(new Date(Date.now() + 600_000), [
      { bucket: 'tags' }, ['starts-with', '$key', 'form/'], ['starts-with', '$tagging', ''], ...v4AuthConditions(ROOT_CREDENTIALS),
    ]);
    return [['key', 'form/${filename}'], ['tagging', tagging], ...v4PolicyFields(ROOT_CREDENTIALS, policy)];
  }

  it('the tagging field\'s <Tagging> document tags the object', async () => {
    const answer = await postForm(url(), form(tagXml([['via', 'form'], ['n', '1']])), { content: 'posted', filename: 'a.txt' });
    assert.equal(answer.status, 204, answer.text);
    const tags = await boto<unknown>(server, "out(sorted([(t['Key'], t['Value']) for t in s3.get_object_tagging(Bucket='tags', Key='form/a.txt')['TagSet']]))");
    assert.deepEqual(tags, [['n', '1'], ['via', 'form']]);
  });

  it('a bad tagging field is refused with S3\'s error, and nothing is stored', async () => {
    for (const [tagging, code] of [[tagXml([['aws:x', '1']]), 'InvalidTag'], ['not xml <', 'MalformedXML'], [tagXml(Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v'])), 'BadRequest']] as const) {
      const answer = await unchanged(() => postForm(url(), form(tagging), { content: 'posted', filename: 'refused.txt' }));
      assert.equal(answer.status, 400, answer.text);
      assert.equal(parseS3Error(answer.text).code, code);
    }
  });
});
