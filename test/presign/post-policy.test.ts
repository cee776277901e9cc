import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { presignPost } from '../../src/index.js';
import { boto3, s3Client } from '../helpers/clients.js';
import { fingerprint, readDiskState } from '../helpers/disk-state.js';
import {
  encodePolicy,
  multipartBody,
  postForm,
  rawPost,
  v2PolicyFields,
  v4AuthConditions,
  v4PolicyFields,
  xmlField,
  type FormFile,
  type PostAnswer,
} from '../helpers/post-form.js';
import '../helpers/sdk-js.js';
import { ROOT_CREDENTIALS, startServer, type TestServer } from '../helpers/server.js';

const BUCKET = 'post-policy';
const OTHER_BUCKET = 'post-policy-other';
const DOMAIN = 's3.localhost';
const HOUR = 3_600_000;

let server: TestServer;
let client: S3Client;

before(async () => {
  server = await startServer({ args: ['--domain', DOMAIN] });
  client = s3Client(server);
  await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await client.send(new CreateBucketCommand({ Bucket: OTHER_BUCKET }));
});
after(async () => {
  client?.destroy();
  await server?.stop();
});

interface Upload {
  /** The key field; null leaves it out. */
  readonly key?: string | null;
  /** Fields between key and the auth fields. */
  readonly fields?: ReadonlyArray<readonly [string, string]>;
  /** Conditions besides bucket, the auth fields and (unless keyCondition is null) ["starts-with", "$key", ""]. */
  readonly conditions?: readonly unknown[];
  readonly keyCondition?: unknown;
  readonly expiration?: Date;
  readonly file?: FormFile | null;
  readonly version?: 2 | 4;
  /** Rewrites the finished field list (tampering, reordering). */
  readonly edit?: (fields: Array<[string, string]>) => Array<[string, string]>;
  readonly bucket?: string;
  readonly url?: string;
  readonly headers?: Record<string, string>;
}

function formFields(upload: Upload): Array<[string, string]> {
  const version = upload.version ?? 4;
  const conditions = [
    { bucket: upload.bucket ?? BUCKET },
    ...(upload.keyCondition === null ? [] : [upload.keyCondition ?? ['starts-with', '$key', '']]),
    ...(version === 4 ? v4AuthConditions(ROOT_CREDENTIALS) : []),
    ...(upload.conditions ?? []),
  ];
  const policy = encodePolicy(upload.expiration ?? new Date(Date.now() + HOUR), conditions);
  const auth = version === 4 ? v4PolicyFields(ROOT_CREDENTIALS, policy) : v2PolicyFields(ROOT_CREDENTIALS, policy);
  const fields: Array<[string, string]> = [
    ...(upload.key === null ? [] : ([['key', upload.key ?? 'form/upload.txt']] as Array<[string, string]>)),
    ...(upload.fields ?? []).map(([n, v]) => [n, v] as [string, string]),
    ...auth,
  ];
  return upload.edit ? upload.edit(fields) : fields;
}

async function upload(upload: Upload = {}): Promise<PostAnswer> {
  const file = upload.file === null ? undefined : (upload.file ?? { content: 'form upload body\n', filename: 'upload.txt' });
  return postForm(upload.url ?? `${server.endpoint}/${upload.bucket ?? BUCKET}`, formFields(upload), file, upload.headers);
}

interface Refusal {
  readonly status: number;
  readonly code: string;
  readonly message?: string | RegExp;
  readonly details?: Readonly<Record<string, string>>;
}

/** A refused upload: the S3 error asked for, and nothing on disk changed. */
async function assertRefused(send: () => Promise<PostAnswer>, expected: Refusal): Promise<PostAnswer> {
  const before = fingerprint(readDiskState(server.dataDir));
  const answer = await send();
  assert.equal(xmlField(answer.text, 'Code'), expected.code, `${answer.status} ${answer.text}`);
  assert.equal(answer.status, expected.status, answer.text);
  if (expected.message !== undefined) {
    const message = xmlField(answer.text, 'Message') ?? '';
    if (typeof expected.message === 'string') assert.equal(message, expected.message);
    else assert.match(message, expected.message);
  }
  for (const [name, value] of Object.entries(expected.details ?? {})) assert.equal(xmlField(answer.text, name), value, `<${name}> in ${answer.text}`);
  assert.equal(fingerprint(readDiskState(server.dataDir)), before, 'a refused upload leaves the data dir as it was');
  return answer;
}

const conditionFailed = (condition: string): Refusal => ({
  status: 403,
  code: 'AccessDenied',
  message: `Invalid according to Policy: Policy Condition failed: ${condition}`,
});

async function body(key: string, bucket = BUCKET): Promise<string> {
  const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await got.Body?.transformToString()) ?? '';
}

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

describe('POST policy uploads that pass', () => {
  test('SigV4 policy, success_action_status 201: PostResponse XML, object stored with its metadata', async () => {
    const answer = await upload({
      key: 'v4/created.txt',
      fields: [
        ['Content-Type', 'text/plain'],
        ['x-amz-meta-owner', 'alice'],
        ['success_action_status', '201'],
      ],
      conditions: [{ 'Content-Type': 'text/plain' }, ['eq', '$x-amz-meta-owner', 'alice'], { success_action_status: '201' }],
      file: { content: 'created by a form\n', filename: 'local.txt' },
    });
    assert.equal(answer.status, 201, answer.text);
    assert.equal(xmlField(answer.text, 'Bucket'), BUCKET);
    assert.equal(xmlField(answer.text, 'Key'), 'v4/created.txt');
    assert.equal(xmlField(answer.text, 'ETag'), `"${md5('created by a form\n')}"`);
    assert.equal(xmlField(answer.text, 'Location'), `${server.endpoint}/${BUCKET}/v4/created.txt`);
    assert.equal(answer.headers['etag'], `"${md5('created by a form\n')}"`);
    const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'v4/created.txt' }));
    assert.equal(head.ContentType, 'text/plain');
    assert.deepEqual(head.Metadata, { owner: 'alice' });
    assert.equal(await body('v4/created.txt'), 'created by a form\n');
  });

  test('default answer is 204 with ETag and Location; 200 on request; an unsupported status falls back to 204', async () => {
    const plain = await upload({ key: 'status/default.txt' });
    assert.equal(plain.status, 204);
    assert.equal(plain.text, '');
    assert.equal(plain.headers['location'], `${server.endpoint}/${BUCKET}/status/default.txt`);
    assert.match(String(plain.headers['etag']), /^"[0-9a-f]{32}"$/);
    const ok = await upload({ key: 'status/200.txt', fields: [['success_action_status', '200']], conditions: [['starts-with', '$success_action_status', '']] });
    assert.equal(ok.status, 200);
    const odd = await upload({ key: 'status/odd.txt', fields: [['success_action_status', '302']], conditions: [['starts-with', '$success_action_status', '']] });
    assert.equal(odd.status, 204);
  });

  test('success_action_redirect: 303 to the URL with bucket, key and etag added', async () => {
    const answer = await upload({
      key: 'redirect/a b.txt',
      fields: [['success_action_redirect', 'https://app.example.com/done?from=form']],
      conditions: [['starts-with', '$success_action_redirect', 'https://app.example.com/']],
      file: { content: 'redirected', filename: 'r.txt' },
    });
    assert.equal(answer.status, 303);
    const location = new URL(String(answer.headers['location']));
    assert.equal(location.origin + location.pathname, 'https://app.example.com/done');
    assert.equal(location.searchParams.get('from'), 'form');
    assert.equal(location.searchParams.get('bucket'), BUCKET);
    assert.equal(location.searchParams.get('key'), 'redirect/a b.txt');
    assert.equal(location.searchParams.get('etag'), `"${md5('redirected')}"`);
    assert.equal(await body('redirect/a b.txt'), 'redirected');
  });

  test('${filename} in the key becomes the uploaded file name (starts-with and eq on the template)', async () => {
    const prefixed = await upload({ key: 'uploads/${filename}', keyCondition: ['starts-with', '$key', 'uploads/'], file: { content: 'photo', filename: 'photo.jpg' } });
    assert.equal(prefixed.status, 204, prefixed.text);
    assert.equal(await body('uploads/photo.jpg'), 'photo');
    const exact = await upload({ key: 'tpl/${filename}', keyCondition: ['eq', '$key', 'tpl/${filename}'], file: { content: 'doc', filename: 'C:\\Users\\me\\doc.pdf' } });
    assert.equal(exact.status, 204, exact.text);
    assert.equal(await body('tpl/doc.pdf'), 'doc', 'directories in the browser-given name are dropped');
  });

  test('["starts-with", "$key", ""] allows any key; Content-Type starts-with; content-length-range within bounds', async () => {
    const answer = await upload({
      key: 'any/thing.png',
      fields: [['Content-Type', 'image/png']],
      conditions: [['starts-with', '$Content-Type', 'image/'], ['content-length-range', 1, 10]],
      file: { content: '0123456789', filename: 'x.png' },
    });
    assert.equal(answer.status, 204, answer.text);
    const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'any/thing.png' }));
    assert.equal(head.ContentType, 'image/png');
    assert.equal(head.ContentLength, 10);
  });

  test('field names match conditions case-insensitively; x-ignore-* fields need no condition; acl=private is accepted', async () => {
    const answer = await upload({
      key: 'case/x.txt',
      fields: [
        ['CONTENT-TYPE', 'text/csv'],
        ['x-ignore-tracking', 'anything'],
        ['acl', 'private'],
      ],
      conditions: [['eq', '$content-type', 'text/csv'], { acl: 'private' }],
    });
    assert.equal(answer.status, 204, answer.text);
    assert.equal((await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'case/x.txt' }))).ContentType, 'text/csv');
  });

  test('legacy SigV2 policy (AWSAccessKeyId, signature)', async () => {
    const answer = await upload({ version: 2, key: 'v2/legacy.txt', file: { content: 'v2 form', filename: 'l.txt' } });
    assert.equal(answer.status, 204, answer.text);
    assert.equal(await body('v2/legacy.txt'), 'v2 form');
  });

  test('virtual-hosted style: POST to the root of BUCKET.<domain>', async () => {
    const { body: form, contentType } = multipartBody(formFields({ key: 'vhost/a.txt', fields: [['success_action_status', '201']], conditions: [['starts-with', '$success_action_status', '']] }), {
      content: 'virtual',
      filename: 'a.txt',
    });
    const answer = await rawPost(`${server.endpoint}/`, form, { 'content-type': contentType, host: `${BUCKET}.${DOMAIN}:${server.port}` });
    assert.equal(answer.status, 201, answer.text);
    assert.equal(xmlField(answer.text, 'Location'), `http://${BUCKET}.${DOMAIN}:${server.port}/vhost/a.txt`);
    assert.equal(await body('vhost/a.txt'), 'virtual');
  });

  test("the library's presignPost: key prefix, size range, fields and 201, used as a browser would", async () => {
    const post = presignPost({
      endpoint: server.endpoint,
      bucket: BUCKET,
      keyPrefix: 'lib/',
      expiresIn: 600,
      credentials: ROOT_CREDENTIALS,
      contentLengthRange: [1, 64],
      contentType: 'text/plain',
      successActionStatus: 201,
      fields: { 'x-amz-meta-source': 'library' },
    });
    assert.equal(post.url, `${server.endpoint}/${BUCKET}`);
    const form = new FormData();
    for (const [name, value] of Object.entries(post.fields)) form.append(name, value);
    form.append('file', new Blob(['from fetch FormData']), 'note.txt');
    const response = await fetch(post.url, { method: 'POST', body: form });
    const text = await response.text();
    assert.equal(response.status, 201, text);
    assert.equal(xmlField(text, 'Key'), 'lib/note.txt');
    const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'lib/note.txt' }));
    assert.deepEqual(head.Metadata, { source: 'library' });
    assert.equal(head.ContentType, 'text/plain');

    const big = new FormData();
    for (const [name, value] of Object.entries(post.fields)) big.append(name, value);
    big.append('file', new Blob(['x'.repeat(65)]), 'big.txt');
    const refused = await fetch(post.url, { method: 'POST', body: big });
    const refusedText = await refused.text();
    assert.equal(refused.status, 400);
    assert.equal(xmlField(refusedText, 'Code'), 'EntityTooLarge');
  });

  test("boto3's generate_presigned_post works unchanged", async () => {
    const post = await boto3<{ url: string; fields: Record<string, string> }>(
      server,
      `
p = s3.generate_presigned_post(args['bucket'], 'boto/${'${filename}'}', Fields={'Content-Type': 'text/plain'},
    Conditions=[['starts-with', '$key', 'boto/'], {'Content-Type': 'text/plain'}, ['content-length-range', 1, 1000]], ExpiresIn=600)
print(json.dumps(p))
`,
      { bucket: BUCKET },
    );
    const answer = await postForm(post.url, Object.entries(post.fields), { content: 'from boto3', filename: 'b.txt' });
    assert.equal(answer.status, 204, answer.text);
    assert.equal(await body('boto/b.txt'), 'from boto3');
  });
});

describe('POST policy uploads that are refused (status, code, nothing on disk)', () => {
  test('user metadata counts names and values in UTF-8 against 2 KB, as a PUT\'s headers do: 2049 bytes is MetadataTooLarge, 2048 is stored', async () => {
    const metaCondition = [['starts-with', '$x-amz-meta-v', '']];
    await assertRefused(() => upload({ key: 'no/meta.txt', fields: [['x-amz-meta-v', 'é'.repeat(1024)]], conditions: metaCondition }), {
      status: 400,
      code: 'MetadataTooLarge',
      details: { Size: '2049', MaxSizeAllowed: '2048' },
    });
    const atLimit = await upload({ key: 'form/meta.txt', fields: [['x-amz-meta-v', 'x'.repeat(2047)]], conditions: metaCondition });
    assert.equal(atLimit.status, 204, atLimit.text);
    const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'form/meta.txt' }));
    assert.equal(head.Metadata?.['v'], 'x'.repeat(2047));
  });

  test('expired policy', async () => {
    await assertRefused(() => upload({ key: 'no/expired.txt', expiration: new Date(Date.now() - 1000) }), {
      status: 403,
      code: 'AccessDenied',
      message: 'Invalid according to Policy: Policy expired.',
    });
  });

  test('eq on $key, $bucket, Content-Type, x-amz-meta-*, success_action_status; starts-with on $key and Content-Type', async () => {
    await assertRefused(() => upload({ key: 'no/other.txt', keyCondition: ['eq', '$key', 'no/allowed.txt'] }), conditionFailed('["eq", "$key", "no/allowed.txt"]'));
    await assertRefused(() => upload({ key: 'no/x.txt', conditions: [{ bucket: OTHER_BUCKET }] }), conditionFailed(`["eq", "$bucket", "${OTHER_BUCKET}"]`));
    await assertRefused(
      () => upload({ key: 'no/x.txt', fields: [['Content-Type', 'text/html']], conditions: [{ 'Content-Type': 'text/plain' }] }),
      conditionFailed('["eq", "$Content-Type", "text/plain"]'),
    );
    await assertRefused(
      () => upload({ key: 'no/x.txt', fields: [['x-amz-meta-owner', 'mallory']], conditions: [['eq', '$x-amz-meta-owner', 'alice']] }),
      conditionFailed('["eq", "$x-amz-meta-owner", "alice"]'),
    );
    await assertRefused(
      () => upload({ key: 'no/x.txt', fields: [['success_action_status', '200']], conditions: [{ success_action_status: '201' }] }),
      conditionFailed('["eq", "$success_action_status", "201"]'),
    );
    await assertRefused(() => upload({ key: 'elsewhere/x.txt', keyCondition: ['starts-with', '$key', 'user/'] }), conditionFailed('["starts-with", "$key", "user/"]'));
    await assertRefused(
      () => upload({ key: 'no/x.txt', fields: [['Content-Type', 'image/png, text/html']], conditions: [['starts-with', '$Content-Type', 'image/']] }),
      conditionFailed('["starts-with", "$Content-Type", "image/"]'),
    );
    await assertRefused(
      () => upload({ key: 'no/x.txt', conditions: [['eq', '$x-amz-meta-required', 'yes']] }),
      conditionFailed('["eq", "$x-amz-meta-required", "yes"]'),
    );
  });

  test('${filename} cannot escape a starts-with on $key', async () => {
    await assertRefused(() => upload({ key: '${filename}', keyCondition: ['starts-with', '$key', 'user1/'], file: { content: 'x', filename: 'user1' } }), conditionFailed('["starts-with", "$key", "user1/"]'));
  });

  test('a field no condition covers (AWS rule), including an x-amz-* field', async () => {
    await assertRefused(() => upload({ key: 'no/x.txt', fields: [['x-amz-meta-extra', '1']] }), {
      status: 403,
      code: 'AccessDenied',
      message: 'Invalid according to Policy: Extra input fields: x-amz-meta-extra',
    });
    await assertRefused(() => upload({ key: 'no/x.txt', fields: [['x-amz-storage-class', 'STANDARD']] }), {
      status: 403,
      code: 'AccessDenied',
      message: 'Invalid according to Policy: Extra input fields: x-amz-storage-class',
    });
    // A bucket field must be covered too; here the policy's bucket condition covers it.
    const ok = await upload({ key: 'ok/bucket-field.txt', fields: [['bucket', BUCKET]] });
    assert.equal(ok.status, 204, ok.text);
  });

  test('acl other than private', async () => {
    await assertRefused(() => upload({ key: 'no/acl.txt', fields: [['acl', 'public-read']], conditions: [{ acl: 'public-read' }] }), {
      status: 400,
      code: 'AccessControlListNotSupported',
    });
  });

  test('a storage class, encryption or Object Lock the server does not have, even when the policy allows it', async () => {
    await assertRefused(() => upload({ key: 'no/glacier.txt', fields: [['x-amz-storage-class', 'GLACIER']], conditions: [{ 'x-amz-storage-class': 'GLACIER' }] }), {
      status: 400,
      code: 'InvalidStorageClass',
    });
    await assertRefused(() => upload({ key: 'no/sse.txt', fields: [['x-amz-server-side-encryption', 'AES256']], conditions: [{ 'x-amz-server-side-encryption': 'AES256' }] }), {
      status: 501,
      code: 'NotImplemented',
    });
    await assertRefused(() => upload({ key: 'no/lock.txt', fields: [['x-amz-object-lock-legal-hold', 'ON']], conditions: [{ 'x-amz-object-lock-legal-hold': 'ON' }] }), {
      status: 400,
      code: 'InvalidRequest',
    });
    const standard = await upload({ key: 'ok/standard.txt', fields: [['x-amz-storage-class', 'STANDARD']], conditions: [{ 'x-amz-storage-class': 'STANDARD' }] });
    assert.equal(standard.status, 204, standard.text);
  });

  test('content-length-range: too large and too small, with the sizes', async () => {
    await assertRefused(() => upload({ key: 'no/large.txt', conditions: [['content-length-range', 1, 100]], file: { content: 'z'.repeat(1000), filename: 'l.txt' } }), {
      status: 400,
      code: 'EntityTooLarge',
      details: { ProposedSize: '1000', MaxSizeAllowed: '100' },
    });
    const big = Buffer.alloc(3 * 1024 * 1024, 7);
    await assertRefused(() => upload({ key: 'no/large2.bin', conditions: [['content-length-range', 0, 1024]], file: { content: big, filename: 'big.bin' } }), {
      status: 400,
      code: 'EntityTooLarge',
      details: { ProposedSize: String(big.length), MaxSizeAllowed: '1024' },
    });
    await assertRefused(() => upload({ key: 'no/small.txt', conditions: [['content-length-range', '10', '100']], file: { content: 'tiny', filename: 's.txt' } }), {
      status: 400,
      code: 'EntityTooSmall',
      details: { ProposedSize: '4', MinSizeAllowed: '10' },
    });
  });

  test('tampered policy, tampered signature, unknown access key, wrong region (V4)', async () => {
    const tamperedPolicy = (fields: Array<[string, string]>) =>
      fields.map(([n, v]): [string, string] => [n, n === 'policy' ? Buffer.from(Buffer.from(v, 'base64').toString().replace('"starts-with","$key",""', '"starts-with","$key","n"')).toString('base64') : v]);
    const answer = await assertRefused(() => upload({ key: 'no/t.txt', edit: tamperedPolicy }), { status: 403, code: 'SignatureDoesNotMatch' });
    assert.equal(xmlField(answer.text, 'AWSAccessKeyId'), ROOT_CREDENTIALS.accessKeyId);
    assert.ok(!answer.text.includes(ROOT_CREDENTIALS.secretAccessKey));
    const flip = (fields: Array<[string, string]>) => fields.map(([n, v]): [string, string] => [n, n === 'x-amz-signature' ? `${v.slice(0, -1)}${v.endsWith('0') ? '1' : '0'}` : v]);
    await assertRefused(() => upload({ key: 'no/t.txt', edit: flip }), { status: 403, code: 'SignatureDoesNotMatch' });
    const stranger = (fields: Array<[string, string]>) => fields.map(([n, v]): [string, string] => [n, n === 'x-amz-credential' ? v.replace(ROOT_CREDENTIALS.accessKeyId, 'AKIDNOSUCHKEY0000000') : v]);
    await assertRefused(() => upload({ key: 'no/t.txt', edit: stranger }), { status: 403, code: 'InvalidAccessKeyId' });
    const region = (fields: Array<[string, string]>) => fields.map(([n, v]): [string, string] => [n, n === 'x-amz-credential' ? v.replace('/us-east-1/', '/eu-west-1/') : v]);
    await assertRefused(() => upload({ key: 'no/t.txt', edit: region }), {
      status: 400,
      code: 'AuthorizationQueryParametersError',
      message: "Error parsing the X-Amz-Credential parameter; the region 'eu-west-1' is wrong; expecting 'us-east-1'",
    });
  });

  test('tampered V2 policy and signature', async () => {
    const policy = (fields: Array<[string, string]>) => fields.map(([n, v]): [string, string] => [n, n === 'policy' ? Buffer.from(`${Buffer.from(v, 'base64').toString()} `).toString('base64') : v]);
    await assertRefused(() => upload({ version: 2, key: 'no/v2.txt', edit: policy }), { status: 403, code: 'SignatureDoesNotMatch' });
    const signature = (fields: Array<[string, string]>) => fields.map(([n, v]): [string, string] => [n, n === 'signature' ? `${v.startsWith('A') ? 'B' : 'A'}${v.slice(1)}` : v]);
    await assertRefused(() => upload({ version: 2, key: 'no/v2.txt', edit: signature }), { status: 403, code: 'SignatureDoesNotMatch' });
  });

  test('a signed policy that is not a valid document', async () => {
    const garbage = (fields: Array<[string, string]>) => {
      const policy = Buffer.from('{"conditions": [').toString('base64');
      const signed = v4PolicyFields(ROOT_CREDENTIALS, policy);
      return [...fields.filter(([n]) => n === 'key'), ...signed];
    };
    await assertRefused(() => upload({ key: 'no/p.txt', edit: garbage }), { status: 400, code: 'InvalidPolicyDocument', message: 'Invalid Policy: Invalid JSON.' });
  });

  test('missing key field, or key sent after the file', async () => {
    const message = "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.";
    await assertRefused(() => upload({ key: null }), { status: 400, code: 'InvalidArgument', message, details: { ArgumentName: 'key' } });
    const { body: form, contentType } = multipartBody(formFields({ key: null }), { content: 'x', filename: 'x.txt' });
    const after = Buffer.concat([form.subarray(0, form.length - `--${contentType.split('boundary=')[1]}--\r\n`.length), Buffer.from(`--${contentType.split('boundary=')[1]}\r\nContent-Disposition: form-data; name="key"\r\n\r\nlate.txt\r\n--${contentType.split('boundary=')[1]}--\r\n`)]);
    await assertRefused(() => rawPost(`${server.endpoint}/${BUCKET}`, after, { 'content-type': contentType }), { status: 400, code: 'InvalidArgument', message });
  });

  test('no file part', async () => {
    await assertRefused(() => upload({ key: 'no/nofile.txt', file: null }), { status: 400, code: 'InvalidArgument', message: 'POST requires exactly one file upload per request.' });
  });

  test('a field sent twice', async () => {
    await assertRefused(() => upload({ key: 'no/dup.txt', fields: [['Content-Type', 'text/plain'], ['content-type', 'text/html']], conditions: [['starts-with', '$Content-Type', '']] }), {
      status: 400,
      code: 'InvalidArgument',
    });
  });

  test('a body that is not multipart/form-data, and multipart without a boundary', async () => {
    await assertRefused(() => rawPost(`${server.endpoint}/${BUCKET}`, 'key=a.txt', { 'content-type': 'application/x-www-form-urlencoded' }), {
      status: 412,
      code: 'RequestIsNotMultiPartContent',
      message: 'Bucket POST must be of the enclosure-type multipart/form-data.',
    });
    await assertRefused(() => rawPost(`${server.endpoint}/${BUCKET}`, 'x', { 'content-type': 'multipart/form-data' }), { status: 400, code: 'MalformedPOSTRequest' });
  });

  test('a body that ends inside the file part (no closing boundary) stores nothing', async () => {
    const { body: form, contentType } = multipartBody(formFields({ key: 'no/truncated.txt' }), { content: 'x'.repeat(5000), filename: 't.txt' });
    const cut = form.subarray(0, form.length - 2000);
    await assertRefused(() => rawPost(`${server.endpoint}/${BUCKET}`, cut, { 'content-type': contentType }), { status: 400, code: 'MalformedPOSTRequest' });
  });

  test('an unsigned form is anonymous: refused without a bucket policy granting it', async () => {
    await assertRefused(() => postForm(`${server.endpoint}/${BUCKET}`, [['key', 'anon.txt']], { content: 'anon', filename: 'a.txt' }), { status: 403, code: 'AccessDenied' });
  });

  test('a policy for a bucket that does not exist', async () => {
    await assertRefused(() => upload({ key: 'x.txt', bucket: 'no-such-bucket-here' }), { status: 404, code: 'NoSuchBucket' });
  });
});
