import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { nodeCrypto } from '../../src/sigv4/node-crypto.js';
import { presign, signRequest } from '../../src/sigv4/sign.js';
import type { TestCredentials } from './clients.js';
import { ROOT_CREDENTIALS, type TestServer } from './server.js';

export const ADMIN_PREFIX = '/_latchkey/admin/v1';

/** What the admin API answered: the status, the JSON body (undefined when empty) and the raw text. */
export interface AdminResponse<T = unknown> {
  readonly status: number;
  readonly body: T;
  readonly text: string;
}

export interface AdminCallOptions {
  /** A JSON value, or a string sent as it is (for malformed documents). */
  readonly body?: unknown;
  /** The signer: root unless given. */
  readonly credentials?: TestCredentials;
}

async function toResponse<T>(response: Response): Promise<AdminResponse<T>> {
  const text = await response.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, body: body as T, text };
}

function bodyText(body: unknown): string {
  if (body === undefined) return '';
  return typeof body === 'string' ? body : JSON.stringify(body);
}

/**
 * One admin API call signed with SigV4 in the Authorization header (service
 * s3, x-amz-content-sha256 = the body's SHA-256), sent with fetch: an
 * independent little client, so these tests do not lean on the latchkey CLI.
 */
export async function adminCall<T = unknown>(server: TestServer, method: string, path: string, options: AdminCallOptions = {}): Promise<AdminResponse<T>> {
  const text = bodyText(options.body);
  const url = `${server.endpoint}${ADMIN_PREFIX}${path}`;
  const signed = signRequest({
    method,
    url,
    credentials: options.credentials ?? ROOT_CREDENTIALS,
    region: server.region,
    now: Date.now(),
    crypto: nodeCrypto,
    headers: text === '' ? {} : { 'content-type': 'application/json' },
    payloadHash: createHash('sha256').update(text).digest('hex'),
  });
  const { host: _host, ...headers } = signed.headers;
  return toResponse<T>(await fetch(url, { method, headers, ...(text === '' ? {} : { body: text }) }));
}

/** The same call with no signature at all. */
export async function adminUnsigned<T = unknown>(server: TestServer, method: string, path: string, body?: unknown): Promise<AdminResponse<T>> {
  const text = bodyText(body);
  return toResponse<T>(
    await fetch(`${server.endpoint}${ADMIN_PREFIX}${path}`, {
      method,
      headers: text === '' ? {} : { 'content-type': 'application/json' },
      ...(text === '' ? {} : { body: text }),
    }),
  );
}

/** A valid pre-signed URL for an admin endpoint (which the server must refuse). */
export function adminPresignedUrl(server: TestServer, method: string, path: string, credentials: TestCredentials = ROOT_CREDENTIALS): string {
  return presign({
    method,
    url: `${server.endpoint}${ADMIN_PREFIX}${path}`,
    credentials,
    region: server.region,
    now: Date.now(),
    expiresIn: 300,
    crypto: nodeCrypto,
  }).url;
}

export async function adminFetchUrl<T = unknown>(url: string, method = 'GET'): Promise<AdminResponse<T>> {
  return toResponse<T>(await fetch(url, { method }));
}

/** Asserts the documented error shape: the status plus {"error": {"code", "message"}}. */
export function assertAdminError(response: AdminResponse, status: number, code: string): void {
  const error = (response.body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  assert.equal(response.status, status, response.text);
  assert.equal(error?.code, code, response.text);
  assert.equal(typeof error?.message, 'string', response.text);
  assert.ok((error?.message as string).length > 0, response.text);
}

/** Asserts a success status and returns the body. */
export function expectStatus<T>(response: AdminResponse<T>, status: number): T {
  assert.equal(response.status, status, response.text);
  return response.body;
}

export interface UserView {
  readonly name: string;
  readonly status: 'active' | 'disabled';
  readonly createdAt: string;
  readonly policies: readonly string[];
}

export interface AccessKeyView {
  readonly accessKeyId: string;
  readonly userName: string;
  readonly status: 'active' | 'inactive';
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
}

export interface PolicyView {
  readonly name: string;
  readonly document: unknown;
  readonly attachedTo: readonly string[];
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface CreatedKey {
  readonly accessKey: AccessKeyView;
  readonly credentials: TestCredentials & { readonly accessKeyId: string; readonly secretAccessKey: string };
}

export async function createUser(server: TestServer, name: string): Promise<UserView> {
  return expectStatus(await adminCall<{ user: UserView }>(server, 'POST', '/users', { body: { name } }), 201).user;
}

export async function createKey(server: TestServer, user: string): Promise<CreatedKey> {
  const body = expectStatus(await adminCall<{ accessKey: AccessKeyView; secretAccessKey: string }>(server, 'POST', `/users/${user}/access-keys`), 201);
  return { accessKey: body.accessKey, credentials: { accessKeyId: body.accessKey.accessKeyId, secretAccessKey: body.secretAccessKey } };
}

export async function putPolicy(server: TestServer, name: string, document: unknown): Promise<PolicyView> {
  const response = await adminCall<{ policy: PolicyView }>(server, 'PUT', `/policies/${name}`, { body: document });
  assert.ok(response.status === 201 || response.status === 200, response.text);
  return response.body.policy;
}

export async function attachPolicy(server: TestServer, user: string, policy: string): Promise<void> {
  expectStatus(await adminCall(server, 'PUT', `/users/${user}/policies/${policy}`), 200);
}

/** A user with the given policies (created and attached) and one fresh access key. */
export async function userWithPolicies(server: TestServer, name: string, policies: Readonly<Record<string, unknown>>): Promise<CreatedKey> {
  await createUser(server, name);
  for (const [policy, document] of Object.entries(policies)) {
    await putPolicy(server, policy, document);
    await attachPolicy(server, name, policy);
  }
  return createKey(server, name);
}

/** An IAM policy document from statements. */
export function policyDocument(...statements: readonly object[]): object {
  return { Version: '2012-10-17', Statement: statements };
}
