import assert from 'node:assert/strict';
import { BOTO_HELPERS } from './boto-helpers.js';
import { boto3, type TestCredentials } from './clients.js';
import { ROOT_CREDENTIALS, type TestServer } from './server.js';

/** On top of BOTO_HELPERS: `sts`, boto3's own STS client pointed at the server. */
const PRELUDE = `${BOTO_HELPERS}
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
