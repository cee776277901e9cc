import type { RequestPrincipal } from './policy-types.js';

/**
 * Latchkey's ARN scheme. The server is one account, named `latchkey` where
 * AWS has a 12-digit account id, so principals look like IAM's:
 *
 *   arn:aws:iam::latchkey:root        the root user (the account itself)
 *   arn:aws:iam::latchkey:user/NAME   a user created on this server
 *
 * Resources keep S3's shape: `arn:aws:s3:::BUCKET` and `arn:aws:s3:::BUCKET/KEY`
 * with the key as raw text (not URL-encoded).
 */
export const ACCOUNT_ID = 'latchkey';
export const ROOT_ARN = `arn:aws:iam::${ACCOUNT_ID}:root`;

const USER_PREFIX = `arn:aws:iam::${ACCOUNT_ID}:user/`;
/** IAM's user-name alphabet, 1-64 characters. */
const USER_NAME = /^[\w+=,.@-]{1,64}$/;

export function isValidUserName(name: string): boolean {
  return USER_NAME.test(name);
}

export function userArn(name: string): string {
  return USER_PREFIX + name;
}

export function bucketArn(bucket: string): string {
  return `arn:aws:s3:::${bucket}`;
}

export function objectArn(bucket: string, key: string): string {
  return `arn:aws:s3:::${bucket}/${key}`;
}

/** The resource of account-level actions such as s3:ListAllMyBuckets: only `*` and `arn:aws:s3:::*` cover it. */
export const SERVICE_RESOURCE_ARN = 'arn:aws:s3:::*';

export type PrincipalArn = { readonly kind: 'root' } | { readonly kind: 'user'; readonly name: string };

/**
 * Reads a principal written in a policy. A bare account id is IAM's shorthand
 * for the account's root ARN. Anything outside our scheme is undefined.
 */
export function parsePrincipalArn(text: string): PrincipalArn | undefined {
  if (text === ACCOUNT_ID || text === ROOT_ARN) return { kind: 'root' };
  if (text.startsWith(USER_PREFIX)) {
    const name = text.slice(USER_PREFIX.length);
    if (isValidUserName(name)) return { kind: 'user', name };
  }
  return undefined;
}

/** The ARN a request principal is known by; undefined for anonymous callers. */
export function principalArn(principal: RequestPrincipal): string | undefined {
  if (principal.arn !== undefined) return principal.arn;
  if (principal.kind === 'root') return ROOT_ARN;
  if (principal.kind === 'user' && principal.name !== undefined) return userArn(principal.name);
  return undefined;
}

const S3_ARN_PREFIX = 'arn:aws:s3:::';

/**
 * Splits an S3 resource ARN (possibly holding wildcards) into its bucket part
 * and, after the first '/', its key part. undefined when it is not an S3 ARN.
 */
export function splitS3Arn(arn: string): { bucket: string; key?: string } | undefined {
  if (!arn.startsWith(S3_ARN_PREFIX)) return undefined;
  const rest = arn.slice(S3_ARN_PREFIX.length);
  const slash = rest.indexOf('/');
  return slash < 0 ? { bucket: rest } : { bucket: rest.slice(0, slash), key: rest.slice(slash + 1) };
}

/** ARN syntax: arn:partition:service:region:account:resource, where only the resource may hold further colons. */
export function isArnShaped(text: string): boolean {
  const parts = text.split(':');
  return parts.length >= 6 && parts[0] === 'arn' && parts[1] !== '' && parts[2] !== '' && parts.slice(5).join(':') !== '';
}
