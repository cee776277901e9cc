import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { hashToken } from '../../src/identity/identities.js';
import { SecretBox } from '../../src/identity/secret-box.js';
import { nodeCrypto } from '../../src/sigv4/node-crypto.js';
import { presign, signRequest } from '../../src/sigv4/sign.js';
import { adminCall, expectStatus, policyDocument, userWithPolicies, type CreatedKey } from '../helpers/admin-client.js';
import { assertBotoError, boto } from '../helpers/admin-boto.js';
import type { TestCredentials } from '../helpers/clients.js';
import { parseS3Error } from '../helpers/e2e-http.js';
import { startServer, type TestServer } from '../helpers/server.js';

const MASTER_KEY = randomBytes(32);
const PHOTO = 'JPEG-a';
const TRAVELLER = policyDocument(
  { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: 'arn:aws:s3:::bkt/photos/*' },
  { Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::bkt' },
);

let server: TestServer;
let traveller: CreatedKey;

/**
 * What a set of credentials may do, probed with boto3 (header-signed), plus
 * pre-signed URLs for photos/a.jpg and private/b.jpg (SigV4 and SigV2).
 */
const PROBE = `
def clients(c):
    kw = dict(endpoint_url=endpoint, region_name=region, aws_access_key_id=c['AccessKeyId'],
              aws_secret_access_key=c['SecretAccessKey'], aws_session_token=c.get('SessionToken'))
    v2 = boto3.client('s3', config=Config(s3={'addressing_style': 'path'}, retries={'max_attempts': 1}), **kw)
    v4 = boto3.client('s3', config=Config(signature_version='s3v4', s3={'addressing_style': 'path'}, retries={'max_attempts': 1}), **kw)
    return v2, v4

def probe(c):
    v2, v4 = clients(c)
    r = {}
    try:
        r['get'] = v4.get_object(Bucket='bkt', Key='photos/a.jpg')['Body'].read().decode()
    except ClientError as e:
        r['get'] = {'code': e.response['Error']['Code'], 'status': e.response['ResponseMetadata']['HTTPStatusCode']}
    r['get_other_photo'] = client_error(v4.get_object, Bucket='bkt', Key='photos/c.jpg')
    r['get_private'] = client_error(v4.get_object, Bucket='bkt', Key='private/b.jpg')
    r['put_photo'] = client_error(v4.put_object, Bucket='bkt', Key='photos/up.jpg', Body=b'up')
    r['put_private'] = client_error(v4.put_object, Bucket='bkt', Key='private/up.jpg', Body=b'up')
    r['list'] = client_error(v4.list_objects_v2, Bucket='bkt', Prefix='photos/')
    r['create_bucket'] = client_error(v4.create_bucket, Bucket='newbucket')
    r['urls'] = {k: {'boto3 s3v4': v4.generate_presigned_url('get_object', Params={'Bucket': 'bkt', 'Key': k}, ExpiresIn=900),
                     'boto3 SigV2': v2.generate_presigned_url('get_object', Params={'Bucket': 'bkt', 'Key': k}, ExpiresIn=900)}
                 for k in ['photos/a.jpg', 'private/b.jpg']}
    return r

def sts_for(c, validate=True):
    return boto3.client('sts', endpoint_url=endpoint, region_name=region, aws_access_key_id=c['AccessKeyId'],
                        aws_secret_access_key=c['SecretAccessKey'], aws_session_token=c.get('SessionToken'),
                        config=Config(parameter_validation=validate, retries={'max_attempts': 1}))

def creds(response):
    c = response['Credentials']
    return {'AccessKeyId': c['AccessKeyId'], 'SecretAccessKey': c['SecretAccessKey'], 'SessionToken': c['SessionToken'],
            'Expiration': c['Expiration'].isoformat()}

ROLE = 'arn:aws:iam::latchkey:role/ignored'
`;

interface Probe {
  readonly get: unknown;
  readonly get_other_photo: unknown;
  readonly get_private: unknown;
  readonly put_photo: unknown;
  readonly put_private: unknown;
  readonly list: unknown;
  readonly create_bucket: unknown;
  readonly urls: Record<'photos/a.jpg' | 'private/b.jpg', Record<string, string>>;
}

interface Session extends TestCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: string;
}

function toSession(c: Record<string, string>): Session {
  return { accessKeyId: c['AccessKeyId'] ?? '', secretAccessKey: c['SecretAccessKey'] ?? '', sessionToken: c['SessionToken'] ?? '', expiration: c['Expiration'] ?? '' };
}

/** Fetches each URL once: 200 with the photo, or the S3 error code and status given. */
async function expectUrls(urls: Readonly<Record<string, string>>, expected: 'photo' | { status: number; code: string }, label: string): Promise<void> {
  for (const [name, url] of Object.entries(urls)) {
    const response = await fetch(url);
    const text = await response.text();
    if (expected === 'photo') {
      assert.equal(response.status, 200, `${label} ${name}: ${text}`);
      assert.equal(text, PHOTO);
    } else {
      assert.equal(response.status, expected.status, `${label} ${name}: ${text}`);
      assert.equal(parseS3Error(text).code, expected.code, `${label} ${name}`);
    }
  }
}

function ourUrl(credentials: TestCredentials, key: string, now = Date.now()): string {
  return presign({ method: 'GET', url: `${server.endpoint}/bkt/${key}`, credentials, region: server.region, now, expiresIn: 900, crypto: nodeCrypto }).url;
}

/** A header-signed GET with our signer (session token included when the credentials have one). */
async function headerGet(credentials: TestCredentials, key: string): Promise<{ status: number; code: string | undefined }> {
  const url = `${server.endpoint}/bkt/${key}`;
  const signed = signRequest({ method: 'GET', url, credentials, region: server.region, now: Date.now(), crypto: nodeCrypto, payloadHash: 'UNSIGNED-PAYLOAD' });
  const { host: _host, ...headers } = signed.headers;
  const response = await fetch(url, { headers });
  const text = await response.text();
  return { status: response.status, code: response.status === 200 ? undefined : parseS3Error(text).code };
}

const denied = { status: 403, code: 'AccessDenied' } as const;

before(async () => {
  server = await startServer({ env: { LATCHKEY_MASTER_KEY: MASTER_KEY.toString('hex') }, keepData: true });
  await boto(
    server,
    `
s3.create_bucket(Bucket='bkt')
for k, v in [('photos/a.jpg', b'${PHOTO}'), ('photos/c.jpg', b'JPEG-c'), ('private/b.jpg', b'secret-b')]:
    s3.put_object(Bucket='bkt', Key=k, Body=v)
out(True)
`,
  );
  traveller = await userWithPolicies(server, 'traveller', { travel: TRAVELLER });
});
after(async () => {
  await server?.stop();
  // keepData (so the expiry test can restart on it) leaves the removal to us.
  if (server) rmSync(server.dataDir, { recursive: true, force: true });
});

describe('STS through boto3\'s own STS client', () => {
  let results: Record<string, unknown>;
  let session: Session;

  before(async () => {
    const narrow = JSON.stringify(policyDocument({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bkt/photos/a.jpg' }));
    const wide = JSON.stringify(policyDocument({ Effect: 'Allow', Action: 's3:*', Resource: '*' }));
    results = await boto<Record<string, unknown>>(
      server,
      `${PROBE}
r = {}
me = {'AccessKeyId': access_key, 'SecretAccessKey': secret_key}
gst = creds(sts.get_session_token(DurationSeconds=900))
r['gst_creds'] = gst
r['gst'] = probe(gst)
ar = sts.assume_role(RoleArn=ROLE, RoleSessionName='trip')
r['ar_user'] = ar['AssumedRoleUser']
r['ar_creds'] = creds(ar)
r['ar'] = probe(creds(ar))
r['narrow'] = probe(creds(sts.assume_role(RoleArn=ROLE, RoleSessionName='narrow', Policy=args['narrow'])))
r['wide'] = probe(creds(sts.assume_role(RoleArn=ROLE, RoleSessionName='wide', Policy=args['wide'])))
loose = sts_for(me, validate=False)
r['durations'] = [client_error(loose.get_session_token, DurationSeconds=d) for d in (899, 43201)] + \\
                 [client_error(loose.assume_role, RoleArn=ROLE, RoleSessionName='dur', DurationSeconds=d) for d in (899, 43201)]
r['duration_edges'] = [creds(sts.get_session_token(DurationSeconds=43200))['Expiration'], creds(sts.assume_role(RoleArn=ROLE, RoleSessionName='edge', DurationSeconds=900))['Expiration']]
r['malformed_policy'] = client_error(sts.assume_role, RoleArn=ROLE, RoleSessionName='mal', Policy='{"Version": "2012-10-17", "Statement": [')
r['missing_session_name'] = client_error(loose.assume_role, RoleArn=ROLE)
r['nested'] = client_error(sts_for(gst).get_session_token)
tampered = dict(gst, SessionToken=gst['SessionToken'][:-4] + ('AAAA' if not gst['SessionToken'].endswith('AAAA') else 'BBBB'))
r['tampered'] = client_error(clients(tampered)[1].get_object, Bucket='bkt', Key='photos/a.jpg')
r['tampered_sts'] = client_error(sts_for(tampered).get_session_token)
r['no_token'] = client_error(clients({'AccessKeyId': gst['AccessKeyId'], 'SecretAccessKey': gst['SecretAccessKey']})[1].get_object, Bucket='bkt', Key='photos/a.jpg')
r['unknown'] = client_error(clients(dict(gst, AccessKeyId='LKTS0000000000UNKNOWN'))[1].get_object, Bucket='bkt', Key='photos/a.jpg')
r['long_term_with_token'] = client_error(clients(dict(me, SessionToken=gst['SessionToken']))[1].get_object, Bucket='bkt', Key='photos/a.jpg')
out(r)
`,
      { narrow, wide },
      traveller.credentials,
    );
    session = toSession(results['gst_creds'] as Record<string, string>);
  });

  it('GetSessionToken: S3 calls and pre-signed URLs work with the session token, within the user\'s rights', async () => {
    const expiresIn = Date.parse(session.expiration) - Date.now();
    assert.ok(expiresIn > 800_000 && expiresIn <= 900_000, `expires in ${expiresIn} ms`);
    assert.match(session.accessKeyId, /^LKTS/);
    const r = results['gst'] as Probe;
    assert.equal(r.get, PHOTO);
    assert.equal(r.get_other_photo, null);
    assert.equal(r.put_photo, null);
    assert.equal(r.list, null);
    assertBotoError(r.get_private, 'AccessDenied', 403, 'private');
    assertBotoError(r.put_private, 'AccessDenied', 403, 'put private');
    assertBotoError(r.create_bucket, 'AccessDenied', 403, 'create bucket');
    const ours = { presign: ourUrl(session, 'photos/a.jpg') };
    assert.match(ours.presign, /X-Amz-Security-Token=/);
    assert.match(r.urls['photos/a.jpg']['boto3 SigV2'] ?? '', /x-amz-security-token=/);
    await expectUrls({ ...r.urls['photos/a.jpg'], ...ours }, 'photo', 'session URL');
    await expectUrls({ ...r.urls['private/b.jpg'], presign: ourUrl(session, 'private/b.jpg') }, denied, 'session URL, private');
  });

  it('AssumeRole without a policy: the caller\'s own rights, with AssumedRoleUser', async () => {
    const user = results['ar_user'] as { AssumedRoleId: string; Arn: string };
    assert.equal(user.Arn, 'arn:aws:iam::latchkey:user/traveller');
    assert.match(user.AssumedRoleId, /^LKTS[A-Z0-9]+:trip$/);
    const r = results['ar'] as Probe;
    assert.equal(r.get, PHOTO);
    assert.equal(r.put_photo, null);
    assertBotoError(r.get_private, 'AccessDenied', 403, 'private');
    await expectUrls(r.urls['photos/a.jpg'], 'photo', 'assumed-role URL');
    await expectUrls(r.urls['private/b.jpg'], denied, 'assumed-role URL, private');
  });

  it('AssumeRole with a session Policy narrows the caller\'s rights', async () => {
    const r = results['narrow'] as Probe;
    assert.equal(r.get, PHOTO);
    for (const name of ['get_other_photo', 'put_photo', 'list', 'get_private'] as const) assertBotoError(r[name], 'AccessDenied', 403, `narrowed ${name}`);
    await expectUrls(r.urls['photos/a.jpg'], 'photo', 'narrowed URL');
    await expectUrls(r.urls['private/b.jpg'], denied, 'narrowed URL, private');
  });

  it('a session Policy cannot widen the caller\'s rights', async () => {
    const r = results['wide'] as Probe;
    assert.equal(r.get, PHOTO);
    assert.equal(r.put_photo, null);
    for (const name of ['get_private', 'put_private', 'create_bucket'] as const) assertBotoError(r[name], 'AccessDenied', 403, `widened ${name}`);
    await expectUrls(r.urls['private/b.jpg'], denied, 'widened URL, private');
  });

  it('validates DurationSeconds (900..43200), the policy and the parameters', () => {
    const durations = results['durations'] as unknown[];
    assert.equal(durations.length, 4);
    durations.forEach((error, i) => assertBotoError(error, 'ValidationError', 400, `duration case ${i}`));
    const [long = '', short = ''] = results['duration_edges'] as string[];
    assert.ok(Math.abs(Date.parse(long) - Date.now() - 43_200_000) < 60_000, long);
    assert.ok(Math.abs(Date.parse(short) - Date.now() - 900_000) < 60_000, short);
    assertBotoError(results['malformed_policy'], 'MalformedPolicyDocument', 400, 'malformed session policy');
    assertBotoError(results['missing_session_name'], 'ValidationError', 400, 'AssumeRole without RoleSessionName');
    assertBotoError(results['nested'], 'AccessDenied', 403, 'temporary credentials asking for more');
  });

  it('refuses a tampered token, a missing token, an unknown session key, and a token on a long-term key', async () => {
    assertBotoError(results['tampered'], 'InvalidToken', 400, 'tampered token, S3');
    assertBotoError(results['tampered_sts'], 'InvalidToken', 400, 'tampered token, STS');
    assertBotoError(results['no_token'], 'InvalidToken', 400, 'session key without its token');
    assertBotoError(results['unknown'], 'InvalidAccessKeyId', 403, 'unknown session key');
    assertBotoError(results['long_term_with_token'], 'InvalidToken', 400, 'long-term key with a token');
    // The same through a pre-signed URL signed with a tampered token.
    await expectUrls({ presign: ourUrl({ ...session, sessionToken: `${session.sessionToken}x` }, 'photos/a.jpg') }, { status: 400, code: 'InvalidToken' }, 'tampered token URL');
  });

  it('a session stops with its user, and works again when the user is re-enabled', async () => {
    const url = ourUrl(session, 'photos/a.jpg');
    await expectUrls({ url }, 'photo', 'before');
    expectStatus(await adminCall(server, 'POST', '/users/traveller/disable'), 200);
    await expectUrls({ url }, { status: 403, code: 'InvalidAccessKeyId' }, 'user disabled');
    assert.deepEqual(await headerGet(session, 'photos/a.jpg'), { status: 403, code: 'InvalidAccessKeyId' });
    expectStatus(await adminCall(server, 'POST', '/users/traveller/enable'), 200);
    await expectUrls({ url }, 'photo', 're-enabled');
    // A detached policy shows on the session too: it has no rights of its own.
    expectStatus(await adminCall(server, 'DELETE', '/users/traveller/policies/travel'), 204);
    await expectUrls({ url }, denied, 'policy detached');
    expectStatus(await adminCall(server, 'PUT', '/users/traveller/policies/travel'), 200);
    await expectUrls({ url }, 'photo', 'policy re-attached');
  });

  it('root sessions work, and a root session policy narrows root', async () => {
    const r = await boto<Record<string, unknown>>(
      server,
      `${PROBE}
full = creds(sts.get_session_token())
narrow = creds(sts.assume_role(RoleArn=ROLE, RoleSessionName='rootsession', Policy=args))
out({'full': probe(full), 'narrow': probe(narrow)})
`,
      JSON.stringify(policyDocument({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bkt/photos/*' })),
    );
    const full = r['full'] as Probe;
    const narrow = r['narrow'] as Probe;
    assert.equal(full.get, PHOTO);
    assert.equal(full.get_private, null);
    assert.equal(full.create_bucket, null);
    assert.equal(narrow.get, PHOTO);
    for (const name of ['get_private', 'put_photo', 'list'] as const) assertBotoError(narrow[name], 'AccessDenied', 403, `root narrowed ${name}`);
    const rootUrl = await fetch(full.urls['private/b.jpg']['boto3 s3v4'] ?? '');
    assert.equal(rootUrl.status, 200);
    assert.equal(await rootUrl.text(), 'secret-b');
  });
});

describe('STS: expired sessions', () => {
  it('answers ExpiredToken for header-signed requests and for pre-signed URLs that have not expired themselves', async () => {
    // No fake clock: plant a session that ended a minute ago, sealed as the server seals, while the server is stopped.
    const dataDir = server.dataDir;
    assert.equal(await server.stop(), 0);
    const accessKeyId = `LKTS${randomBytes(8).toString('hex').toUpperCase()}`;
    const expired: Session = { accessKeyId, secretAccessKey: randomBytes(30).toString('base64'), sessionToken: randomBytes(48).toString('base64'), expiration: '' };
    const now = Date.now();
    const db = new Database(join(dataDir, 'metadata.sqlite3'), { fileMustExist: true });
    try {
      db.prepare('INSERT INTO sessions (access_key_id, principal, sealed_secret, token_hash, session_policy, created_at, expires_at) VALUES (?, ?, ?, ?, NULL, ?, ?)').run(
        accessKeyId,
        'traveller',
        new SecretBox(MASTER_KEY).seal(expired.secretAccessKey, accessKeyId),
        hashToken(expired.sessionToken),
        now - 3_600_000,
        now - 60_000,
      );
    } finally {
      db.close();
    }
    server = await startServer({ dataDir, env: { LATCHKEY_MASTER_KEY: MASTER_KEY.toString('hex') } });

    assert.deepEqual(await headerGet(expired, 'photos/a.jpg'), { status: 400, code: 'ExpiredToken' });
    const url = ourUrl(expired, 'photos/a.jpg');
    assert.match(url, /X-Amz-Expires=900/);
    await expectUrls({ presign: url }, { status: 400, code: 'ExpiredToken' }, 'expired session URL');
    const viaBoto = await boto<Record<string, unknown>>(
      server,
      `${PROBE}
v2, v4 = clients({'AccessKeyId': args['a'], 'SecretAccessKey': args['s'], 'SessionToken': args['t']})
out({'get': client_error(v4.get_object, Bucket='bkt', Key='photos/a.jpg'), 'url': v2.generate_presigned_url('get_object', Params={'Bucket': 'bkt', 'Key': 'photos/a.jpg'}, ExpiresIn=900)})
`,
      { a: expired.accessKeyId, s: expired.secretAccessKey, t: expired.sessionToken },
    );
    assertBotoError(viaBoto['get'], 'ExpiredToken', 400, 'boto3 with an expired session');
    await expectUrls({ 'boto3 SigV2': viaBoto['url'] as string }, { status: 400, code: 'ExpiredToken' }, 'expired session SigV2 URL');

    // A wrong token for the expired session is still InvalidToken, not ExpiredToken.
    assert.deepEqual(await headerGet({ ...expired, sessionToken: 'wrong' }, 'photos/a.jpg'), { status: 400, code: 'InvalidToken' });
    // The long-term key of the same user is unaffected by the restart.
    assert.deepEqual(await headerGet(traveller.credentials, 'photos/a.jpg'), { status: 200, code: undefined });
  });
});
