import assert from 'node:assert/strict';
import { boto3, type TestCredentials } from './clients.js';
import { ROOT_CREDENTIALS, type TestServer } from './server.js';

/**
 * Python helpers for identity tests, on top of clients.boto3's globals:
 * - `client_error(fn, **kw)`: the ClientError as {code, status, message}, None on success;
 * - `out(value)`: prints the result as JSON;
 * - `s3v4`: like `s3`, but pre-signing with SigV4 (boto3's default presigns SigV2 here);
 * - `sts`: boto3's own STS client pointed at the server.
 */
const PRELUDE = `
from botocore.exceptions import ClientError

def client_error(fn, *a, **kw):
    try:
        fn(*a, **kw)
    except ClientError as e:
        meta = e.response.get('ResponseMetadata', {})
        return {'code': e.response.get('Error', {}).get('Code'), 'status': meta.get('HTTPStatusCode'),
                'message': e.response.get('Error', {}).get('Message')}
    return None

def out(value):
    print(json.dumps(value, default=str))

s3v4 = session.client('s3', endpoint_url=endpoint, config=Config(signature_version='s3v4', s3={'addressing_style': 'path'}, retries={'max_attempts': 1}))
sts = session.client('sts', endpoint_url=endpoint, config=Config(retries={'max_attempts': 1}))
`;

/** boto3 signed by `credentials` (root by default), with the helpers above; the script ends with `out(result)`. */
export function boto<T = unknown>(server: TestServer, script: string, args: unknown = null, credentials: TestCredentials = ROOT_CREDENTIALS): Promise<T> {
  return boto3<T>(server, `${PRELUDE}\n${script}`, args, credentials);
}

export interface BotoError {
  readonly code: string;
  readonly status: number;
  readonly message: string;
}

/** `actual` is one client_error() result: asserts the error code and HTTP status botocore saw. */
export function assertBotoError(actual: unknown, code: string, status: number, label = ''): void {
  assert.ok(actual !== null && typeof actual === 'object', `${label}: expected ${code}, the call succeeded`);
  const error = actual as BotoError;
  assert.equal(error.code, code, `${label}: ${error.message}`);
  assert.equal(error.status, status, label);
}
