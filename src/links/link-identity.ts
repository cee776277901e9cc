import { createHash } from 'node:crypto';
import { parseAmzDate } from '../sigv4/amz-date.js';
import { AuthError } from '../sigv4/errors.js';
import { parseAuthorization } from '../sigv4/parse.js';
import { splitUrl } from '../sigv4/split-url.js';
import { MAX_PRESIGN_EXPIRES } from '../sigv4/types.js';
import type { VerifiedAuth } from '../sigv4/verify.js';
import { parseLinkControls, type LinkControls } from './link-params.js';

/** One pre-signed link, named by a hash of its signature (the signature itself is a bearer secret and is never stored). */
export interface LinkIdentity {
  /** Hex SHA-256 of the signature. */
  readonly id: string;
  readonly version: 2 | 4;
  readonly accessKeyId: string;
  /** SigV4: X-Amz-Date. SigV2 links do not say when they were signed. */
  readonly signedAt?: number;
  /** Epoch ms. */
  readonly expiresAt: number;
}

export function linkId(version: 2 | 4, signature: string): string {
  // Hex is case-insensitive on the wire; base64 (SigV2) is verified strictly, so it has one spelling.
  return createHash('sha256').update(`v${version}:${version === 4 ? signature.toLowerCase() : signature}`).digest('hex');
}

/**
 * The signing time a time-based revocation compares with. A SigV2 link
 * carries only its expiry, so it is taken as signed as early as it could have
 * been (a link lives at most 7 days): revocation errs towards revoking.
 */
export function signingTimeBound(link: LinkIdentity): number {
  return link.signedAt ?? link.expiresAt - MAX_PRESIGN_EXPIRES * 1000;
}

/**
 * The link a verified query-signed request or signed POST policy used;
 * undefined for header-signed and anonymous ones. A policy is named by its
 * signature as a URL is. `v4Id` hashes a SigV4 signature (LinkMemo remembers
 * the hashes of links used again).
 */
export function linkOfRequest(
  auth: VerifiedAuth,
  query: ReadonlyMap<string, string>,
  v4Id: (signature: string) => string = (signature) => linkId(4, signature),
): LinkIdentity | undefined {
  if (auth.version === 0 || auth.mode !== 'query' || auth.expiresAt === undefined) return undefined;
  if (auth.version === 4) return { id: v4Id(auth.signature), version: 4, accessKeyId: auth.accessKeyId, signedAt: auth.signedAt, expiresAt: auth.expiresAt };
  return { id: linkId(2, auth.signature ?? query.get('Signature') ?? ''), version: 2, accessKeyId: auth.accessKeyId, expiresAt: auth.expiresAt };
}

export interface ParsedLink {
  readonly link: LinkIdentity;
  readonly bucket?: string;
  readonly key?: string;
  readonly controls: LinkControls;
}

export class LinkUrlError extends Error {}

/**
 * What reading a link needs of the S3 front, handed in by the composition
 * root so that src/links does not depend on src/s3: where a URL's host and
 * path point, and what a POST policy document says (both throw on garbage).
 */
export interface LinkReading {
  readonly region: string;
  address(host: string, wirePath: string): { readonly bucket?: string | undefined; readonly key?: string | undefined };
  postPolicy(base64: string): PostPolicyTerms;
}

/** The parts of a POST policy that name its link: when it expires and the conditions (one may name the bucket). */
export interface PostPolicyTerms {
  /** Epoch ms. */
  readonly expiration: number;
  readonly conditions: readonly ({ readonly op: string; readonly field?: string; readonly value?: string })[];
}

/** Reads a pre-signed URL without verifying it (for revoking or inspecting one): structure only. */
export function parseLinkUrl(url: string, reading: Pick<LinkReading, 'region' | 'address'>): ParsedLink {
  let parts;
  try {
    parts = splitUrl(url.trim());
  } catch {
    throw new LinkUrlError('url must be an absolute http(s) URL');
  }
  let parsed;
  try {
    parsed = parseAuthorization({ method: 'GET', path: parts.path, query: parts.query, headers: { host: [parts.host] } }, { region: reading.region, service: 's3' });
  } catch (error) {
    if (error instanceof AuthError) throw new LinkUrlError(`not a valid pre-signed URL: ${error.message}`);
    throw error;
  }
  if (parsed.version === 0 || parsed.mode !== 'query') throw new LinkUrlError('not a pre-signed URL: it carries no X-Amz-Signature or Signature parameter');
  let link: LinkIdentity;
  if (parsed.version === 4) {
    const expiresAt = parsed.signedAt + (parsed.expiresSeconds ?? 0) * 1000;
    link = { id: linkId(4, parsed.signature), version: 4, accessKeyId: parsed.accessKeyId, signedAt: parsed.signedAt, expiresAt };
  } else {
    link = { id: linkId(2, parsed.signature), version: 2, accessKeyId: parsed.accessKeyId, expiresAt: (parsed.expiresAt ?? 0) * 1000 };
  }
  let controls: LinkControls = {};
  try {
    controls = parseLinkControls(parsed.query);
  } catch {
    // Inspecting or revoking a link with broken controls is still useful; the server refuses its use anyway.
  }
  let address: { bucket?: string | undefined; key?: string | undefined } = {};
  try {
    address = reading.address(parts.host, parts.path);
  } catch {
    // An unusable path names no bucket; the link can still be revoked by its signature.
  }
  return { link, ...(address.bucket === undefined ? {} : { bucket: address.bucket }), ...(address.key === undefined ? {} : { key: address.key }), controls };
}

/**
 * Reads a POST policy's form fields (as presignPost or boto3's
 * generate_presigned_post hand them out) without verifying them: the link
 * they make is named by the policy's signature, as a URL is by its own.
 */
export function parseLinkForm(form: Readonly<Record<string, unknown>>, reading: Pick<LinkReading, 'postPolicy'>): ParsedLink {
  const fields = new Map<string, string>();
  for (const [name, value] of Object.entries(form)) if (typeof value === 'string') fields.set(name.toLowerCase(), value);
  const policyText = fields.get('policy');
  if (policyText === undefined) throw new LinkUrlError('not a POST policy form: it has no policy field');
  let policy: PostPolicyTerms;
  try {
    policy = reading.postPolicy(policyText);
  } catch {
    throw new LinkUrlError('not a POST policy form: its policy is not a valid policy document');
  }
  const bucket = policyBucket(policy);
  const v4Signature = fields.get('x-amz-signature');
  let link: LinkIdentity;
  if (v4Signature !== undefined) {
    const accessKeyId = (fields.get('x-amz-credential') ?? '').split('/')[0] ?? '';
    const signedAt = parseAmzDate(fields.get('x-amz-date') ?? '');
    if (accessKeyId === '' || signedAt === undefined) throw new LinkUrlError('not a POST policy form: x-amz-credential or x-amz-date is missing');
    link = { id: linkId(4, v4Signature), version: 4, accessKeyId, signedAt, expiresAt: policy.expiration };
  } else {
    const signature = fields.get('signature');
    const accessKeyId = fields.get('awsaccesskeyid');
    if (signature === undefined || accessKeyId === undefined) throw new LinkUrlError('not a signed POST policy form: it has no x-amz-signature or signature field');
    link = { id: linkId(2, signature), version: 2, accessKeyId, expiresAt: policy.expiration };
  }
  return { link, ...(bucket === undefined ? {} : { bucket }), controls: {} };
}

function policyBucket(policy: PostPolicyTerms): string | undefined {
  for (const condition of policy.conditions) if (condition.op === 'eq' && condition.field === 'bucket') return condition.value;
  return undefined;
}
