import assert from 'node:assert/strict';
import { AuthError, nodeCrypto, verifyRequest, type AuthDefect, type SignableRequest, type VerifiedAuth } from '../../src/sigv4/index.js';

type VerifyRequestOptions = Parameters<typeof verifyRequest>[1];

/**
 * verifyRequest as the server calls it, with a key table holding one key: in
 * us-east-1, at `now` (the test's clock unless given), with any option the
 * test adds (region, service, payloadHash, virtualHostBucket...).
 */
export function verifierFor(key: { readonly accessKeyId: string; readonly secretAccessKey: string }, clock: number) {
  return (request: SignableRequest, now = clock, extra: Partial<Omit<VerifyRequestOptions, 'lookupSecret'>> = {}): Promise<VerifiedAuth> =>
    verifyRequest(request, {
      now,
      crypto: nodeCrypto,
      region: 'us-east-1',
      lookupSecret: (id) => (id === key.accessKeyId ? { secretAccessKey: key.secretAccessKey } : undefined),
      ...extra,
    });
}

/** Asserts `attempt` (a promise, or a call that may throw or reject) is refused with this AuthError; returns it for more checks. */
export async function refused(attempt: Promise<unknown> | (() => unknown), code: string, defect: AuthDefect, status: number, label = ''): Promise<AuthError> {
  const error = await (typeof attempt === 'function' ? Promise.resolve().then(attempt) : attempt).then(
    () => assert.fail(`accepted, expected ${code} (${defect}) ${label}`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof AuthError, `not an AuthError ${label}: ${String(error)}`);
  assert.equal(error.code, code, label);
  assert.equal(error.defect, defect, label);
  assert.equal(error.status, status, label);
  return error;
}
