import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateBucketCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { s3Client } from '../helpers/clients.js';
import { fingerprint, readDiskState } from '../helpers/disk-state.js';
import { amzDate, encodePolicy, postForm, v2PolicyFields, v4AuthConditions, v4PolicyFields, xmlField, type PostAnswer, type Signer } from '../helpers/post-form.js';
import '../helpers/sdk-js.js';
import { ROOT_CREDENTIALS, startServer, type TestServer } from '../helpers/server.js';
import { expireSession, getSessionToken } from '../helpers/sessions.js';
import { BASE64, HEX, sameAlphabetChanges } from '../helpers/tamper.js';

/*
 * Every way the signature of a POST policy form is refused (post-auth), through
 * the server's HTTP interface: the S3 error, and nothing stored.
 */

const BUCKET = 'post-auth';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let server: TestServer;
let client: S3Client;

before(async () => {
  server = await startServer();
  client = s3Client(server);
  await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
});
after(async () => {
  client?.destroy();
  await server?.stop();
});

type Fields = Array<[string, string]>;

/** A complete form for `key`, signed (V4 or V2) by `signer`; the token, if any, is a field and a condition. */
function form(key: string, options: { version?: 2 | 4; signer?: Signer; now?: number } = {}): Fields {
  const signer: Signer = options.signer ?? ROOT_CREDENTIALS;
  const token = signer.sessionToken === undefined ? [] : [{ 'x-amz-security-token': signer.sessionToken }];
  if (options.version === 2) {
    const policy = encodePolicy(new Date(Date.now() + HOUR), [{ bucket: BUCKET }, { key }, ...token]);
    return [['key', key], ...(signer.sessionToken === undefined ? [] : ([['x-amz-security-token', signer.sessionToken]] as Fields)), ...v2PolicyFields(signer, policy)];
  }
  const now = options.now ?? Date.now();
  const policy = encodePolicy(new Date(now + HOUR), [{ bucket: BUCKET }, { key }, ...v4AuthConditions(signer, { now })]);
  return [['key', key], ...v4PolicyFields(signer, policy, { now })];
}

const send = (fields: Fields) => postForm(`${server.endpoint}/${BUCKET}`, fields, { content: 'form body\n', filename: 'f.txt' });
const set = (fields: Fields, name: string, value: string): Fields => fields.map(([n, v]): [string, string] => [n, n === name ? value : v]);
const without = (fields: Fields, name: string): Fields => fields.filter(([n]) => n !== name);
const valueOf = (fields: Fields, name: string): string => fields.find(([n]) => n === name)?.[1] ?? assert.fail(`no ${name}`);

interface Refusal {
  readonly status: number;
  readonly code: string;
  readonly message?: string | RegExp;
  readonly details?: Readonly<Record<string, string>>;
}

function assertAnswer(answer: PostAnswer, expected: Refusal, label: string): void {
  assert.equal(xmlField(answer.text, 'Code'), expected.code, `${label}: ${answer.status} ${answer.text}`);
  assert.equal(answer.status, expected.status, `${label}: ${answer.text}`);
  if (expected.message !== undefined) {
    const message = xmlField(answer.text, 'Message') ?? '';
    if (typeof expected.message === 'string') assert.equal(message, expected.message, label);
    else assert.match(message, expected.message, label);
  }
  for (const [name, value] of Object.entries(expected.details ?? {})) assert.equal(xmlField(answer.text, name), value, `${label}: <${name}> in ${answer.text}`);
}

/** Each form refused as expected, and the data dir as it was. */
async function assertRefused(forms: ReadonlyArray<readonly [string, Fields]>, expected: Refusal): Promise<void> {
  const before = fingerprint(readDiskState(server.dataDir));
  for (const [label, fields] of forms) assertAnswer(await send(fields), expected, label);
  assert.equal(fingerprint(readDiskState(server.dataDir)), before, 'a refused upload leaves the data dir as it was');
}

async function assertStored(fields: Fields, key: string): Promise<void> {
  const answer = await send(fields);
  assert.equal(answer.status, 204, answer.text);
  const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
  assert.equal(head.ContentLength, 'form body\n'.length);
}

const missing = (name: string): Refusal => ({
  status: 400,
  code: 'InvalidArgument',
  message: `Bucket POST must contain a field named '${name}'.  If it is specified, please check the order of the fields.`,
  details: { ArgumentName: name },
});
const credentialError = (reason: string | RegExp): Refusal => ({
  status: 400,
  code: 'AuthorizationQueryParametersError',
  message: typeof reason === 'string' ? `Error parsing the X-Amz-Credential parameter; ${reason}` : reason,
});
const MISMATCH: Refusal = { status: 403, code: 'SignatureDoesNotMatch' };

describe('POST policy, SigV4: each refusal', () => {
  test('the untouched form is stored (so each refusal below is the change\'s doing)', async () => {
    await assertStored(form('v4/ok.txt'), 'v4/ok.txt');
  });

  test('V4 and V2 fields together', async () => {
    const fields = form('v4/both.txt');
    await assertRefused(
      [
        ['AWSAccessKeyId added', [...fields, ['AWSAccessKeyId', ROOT_CREDENTIALS.accessKeyId]]],
        ['signature added', [...fields, ['signature', 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=']]],
      ],
      { status: 400, code: 'InvalidArgument', message: /^Only one auth mechanism allowed/ },
    );
  });

  test('a policy with no signature at all', async () => {
    const fields = form('v4/unsigned.txt').filter(([n]) => n === 'key' || n === 'policy');
    await assertRefused([['policy only', fields]], missing('AWSAccessKeyId'));
  });

  for (const name of ['x-amz-algorithm', 'x-amz-credential', 'x-amz-date', 'x-amz-signature', 'policy']) {
    test(`${name} missing or empty`, async () => {
      const fields = form(`v4/no-${name}.txt`);
      await assertRefused(
        [
          ['missing', without(fields, name)],
          ['empty', set(fields, name, '')],
        ],
        missing(name),
      );
    });
  }

  test('an algorithm other than AWS4-HMAC-SHA256', async () => {
    await assertRefused([['SHA512', set(form('v4/alg.txt'), 'x-amz-algorithm', 'AWS4-HMAC-SHA512')]], {
      status: 400,
      code: 'InvalidArgument',
      message: 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"',
      details: { ArgumentName: 'x-amz-algorithm', ArgumentValue: 'AWS4-HMAC-SHA512' },
    });
  });

  test('a malformed credential: four or six parts, an empty part, a date not of eight digits', async () => {
    const fields = form('v4/cred.txt');
    const credential = valueOf(fields, 'x-amz-credential');
    const [akid, date] = credential.split('/');
    await assertRefused(
      [
        ['four parts', set(fields, 'x-amz-credential', credential.replace('/aws4_request', ''))],
        ['six parts', set(fields, 'x-amz-credential', `${credential}/x`)],
        ['empty access key', set(fields, 'x-amz-credential', credential.replace(`${akid}/`, '/'))],
        ['empty region', set(fields, 'x-amz-credential', credential.replace('/us-east-1/', '//'))],
        ['seven-digit date', set(fields, 'x-amz-credential', credential.replace(`/${date}/`, `/${date?.slice(1)}/`))],
        ['date with letters', set(fields, 'x-amz-credential', credential.replace(`/${date}/`, '/2024O506/'))],
      ],
      credentialError(/^Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting/),
    );
  });

  test('a wrong service or terminator', async () => {
    const fields = form('v4/scope.txt');
    const credential = valueOf(fields, 'x-amz-credential');
    await assertRefused([['service', set(fields, 'x-amz-credential', credential.replace('/s3/', '/ec2/'))]], credentialError('incorrect service "ec2". This endpoint belongs to "s3".'));
    await assertRefused([['terminator', set(fields, 'x-amz-credential', credential.replace('/aws4_request', '/aws4_requests'))]], credentialError('incorrect terminal "aws4_requests". This endpoint uses "aws4_request".'));
  });

  test('a malformed x-amz-date', async () => {
    const fields = form('v4/date.txt');
    const date = valueOf(fields, 'x-amz-date');
    await assertRefused(
      [
        ['ISO with dashes', set(fields, 'x-amz-date', new Date(Date.now()).toISOString())],
        ['no Z', set(fields, 'x-amz-date', date.slice(0, -1))],
        ['month 13', set(fields, 'x-amz-date', `${date.slice(0, 4)}13${date.slice(6)}`)],
      ],
      { status: 400, code: 'AuthorizationQueryParametersError', message: /^X-Amz-Date must be in the ISO8601 Long Format/ },
    );
  });

  test('the credential\'s date is not the day of x-amz-date', async () => {
    const fields = form('v4/day.txt');
    await assertRefused([['a day later', set(fields, 'x-amz-date', amzDate(Date.now() + DAY))]], credentialError('Invalid credential date. Date is not the same as X-Amz-Date.'));
  });

  test('an unknown access key', async () => {
    const fields = form('v4/who.txt', { signer: { accessKeyId: 'AKIDNOSUCHKEY0000000', secretAccessKey: ROOT_CREDENTIALS.secretAccessKey } });
    await assertRefused([['unknown', fields]], { status: 403, code: 'InvalidAccessKeyId', details: { AWSAccessKeyId: 'AKIDNOSUCHKEY0000000' } });
  });

  test('the signature changed at any position to another hex digit', async () => {
    const fields = form('v4/tamper.txt');
    const signature = valueOf(fields, 'x-amz-signature');
    const changes = sameAlphabetChanges(signature, HEX);
    assert.equal(changes.length, 64);
    await assertRefused(changes.map(({ at, signature: changed }) => [`position ${at}`, set(fields, 'x-amz-signature', changed)] as const), MISMATCH);
    await assertRefused([['upper-case hex', set(fields, 'x-amz-signature', signature.toUpperCase())]], MISMATCH);
  });

  test('a session token on a long-term key', async () => {
    await assertRefused([['root with a token', form('v4/token.txt', { signer: { ...ROOT_CREDENTIALS, sessionToken: 'not-a-session' } })]], { status: 400, code: 'InvalidToken' });
  });
});

describe('POST policy, SigV2: each refusal', () => {
  test('the untouched form is stored', async () => {
    await assertStored(form('v2/ok.txt', { version: 2 }), 'v2/ok.txt');
  });

  test('AWSAccessKeyId, signature or policy missing or empty', async () => {
    const fields = form('v2/missing.txt', { version: 2 });
    for (const [field, name] of [['AWSAccessKeyId', 'awsaccesskeyid'], ['signature', 'signature'], ['policy', 'policy']] as const) {
      await assertRefused(
        [
          [`${field} missing`, without(fields, field)],
          [`${field} empty`, set(fields, field, '')],
        ],
        missing(name),
      );
    }
  });

  test('an unknown access key', async () => {
    const fields = form('v2/who.txt', { version: 2, signer: { accessKeyId: 'AKIDNOSUCHKEY0000000', secretAccessKey: ROOT_CREDENTIALS.secretAccessKey } });
    await assertRefused([['unknown', fields]], { status: 403, code: 'InvalidAccessKeyId' });
  });

  test('a signature not in base64 HMAC-SHA1 form: hex, unpadded, too long', async () => {
    const fields = form('v2/shape.txt', { version: 2 });
    const signature = valueOf(fields, 'signature');
    const hex = Buffer.from(signature, 'base64').toString('hex');
    await assertRefused(
      [
        ['hex', set(fields, 'signature', hex)],
        ['unpadded', set(fields, 'signature', signature.replace(/=$/, ''))],
        ['SHA-256 length', set(fields, 'signature', Buffer.alloc(32, 1).toString('base64'))],
      ],
      MISMATCH,
    );
  });

  test('the signature changed at any position to another base64 character', async () => {
    const fields = form('v2/tamper.txt', { version: 2 });
    const signature = valueOf(fields, 'signature');
    const changes = sameAlphabetChanges(signature, BASE64);
    assert.equal(changes.length, 27);
    await assertRefused(changes.map(({ at, signature: changed }) => [`position ${at}`, set(fields, 'signature', changed)] as const), MISMATCH);
  });

  test('a session token on a long-term key', async () => {
    await assertRefused([['root with a token', form('v2/token.txt', { version: 2, signer: { ...ROOT_CREDENTIALS, sessionToken: 'not-a-session' } })]], { status: 400, code: 'InvalidToken' });
  });
});

describe('POST policy signed with temporary (STS) credentials', () => {
  for (const version of [4, 2] as const) {
    test(`SigV${version}: valid, wrong token, no token, then the session expires`, async () => {
      const session = await getSessionToken(server);
      await assertStored(form(`sts${version}/ok.txt`, { version, signer: session }), `sts${version}/ok.txt`);
      // The policy is signed, the token is not part of the signature: a wrong one passes the signature and must be refused on its own.
      const wrong = form(`sts${version}/wrong.txt`, { version, signer: { ...session, sessionToken: `${session.sessionToken.slice(0, -4)}AAAA` } });
      await assertRefused([['wrong token', wrong]], { status: 400, code: 'InvalidToken' });
      const { sessionToken: _token, ...keyOnly } = session;
      await assertRefused([['no token', form(`sts${version}/none.txt`, { version, signer: keyOnly })]], { status: 400, code: 'InvalidToken' });
      expireSession(server, session.accessKeyId);
      await assertRefused([['expired session', form(`sts${version}/late.txt`, { version, signer: session })]], { status: 400, code: 'ExpiredToken' });
    });
  }
});
