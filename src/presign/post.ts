import { formatAmzDate } from '../sigv4/amz-date.js';
import { toHex } from '../sigv4/hex.js';
import { nodeCrypto } from '../sigv4/node-crypto.js';
import { deriveSigningKey } from '../sigv4/signing-key.js';
import { ALGORITHM, type Credentials, type CryptoProvider } from '../sigv4/types.js';
import { bucketUrl, checkExpiresIn, PresignInputError, signingTime } from './url.js';

/**
 * One POST policy condition, as S3 writes them: `{ "acl": "private" }` (exact
 * match), `["eq", "$key", "a.txt"]`, `["starts-with", "$key", "user/"]` or
 * `["content-length-range", 1, 1048576]`.
 */
export type PostCondition =
  | Readonly<Record<string, string>>
  | readonly ['eq' | 'starts-with', string, string]
  | readonly ['content-length-range', number, number];

export interface PresignPostInput {
  /** Origin of the server, e.g. http://127.0.0.1:9000. */
  readonly endpoint: string;
  readonly bucket: string;
  /** The exact key the upload gets; `${filename}` stands for the uploaded file's name. */
  readonly key?: string | undefined;
  /** Instead of key: any key under this prefix; the form's key becomes `<prefix>${filename}`. */
  readonly keyPrefix?: string | undefined;
  /** Seconds the policy is valid, 1..604800. */
  readonly expiresIn: number;
  /** Conditions beyond the ones derived from the other options. */
  readonly conditions?: readonly PostCondition[] | undefined;
  /** Extra form fields (x-amz-meta-*, Cache-Control…); each gets an exact-match condition unless `conditions` names it. */
  readonly fields?: Readonly<Record<string, string>> | undefined;
  readonly credentials: Credentials;
  /** Default us-east-1. */
  readonly region?: string | undefined;
  /** Smallest and largest file size in bytes. */
  readonly contentLengthRange?: readonly [min: number, max: number] | undefined;
  readonly contentType?: string | undefined;
  /** 200, 201 (answers an XML document naming the object) or 204 (S3's default). */
  readonly successActionStatus?: 200 | 201 | 204 | undefined;
  /** After the upload the browser is sent here (303) with bucket, key and etag in the query. */
  readonly successActionRedirect?: string | undefined;
  readonly now?: Date | number | undefined;
  readonly crypto?: CryptoProvider | undefined;
}

export interface PresignedPost {
  /** Where the form posts (multipart/form-data). */
  readonly url: string;
  /** Form fields in order; the file goes last, in a field named `file`. */
  readonly fields: Readonly<Record<string, string>>;
  readonly expiresAt: Date;
}

/** Fields the signer writes; callers may not set them through `fields`. */
const RESERVED = new Set(['key', 'policy', 'file', 'x-amz-signature', 'x-amz-algorithm', 'x-amz-credential', 'x-amz-date', 'x-amz-security-token', 'awsaccesskeyid', 'signature']);

/**
 * A SigV4-signed POST policy for a browser form upload, computed locally.
 * Render `fields` as hidden inputs (or FormData entries) in this order, then
 * the file input named `file`, and post to `url`.
 */
export function presignPost(input: PresignPostInput): PresignedPost {
  checkExpiresIn(input.expiresIn);
  if ((input.key === undefined) === (input.keyPrefix === undefined)) throw new PresignInputError('give exactly one of key and keyPrefix');
  const now = signingTime(input.now);
  const url = bucketUrl(input.endpoint, input.bucket);
  const region = input.region ?? 'us-east-1';
  const crypto = input.crypto ?? nodeCrypto;
  const amzDate = formatAmzDate(now);
  const scope = { date: amzDate.slice(0, 8), region, service: 's3' };
  const credential = `${input.credentials.accessKeyId}/${scope.date}/${region}/s3/aws4_request`;

  const named = new Set((input.conditions ?? []).flatMap(conditionFieldNames));
  const fields: Record<string, string> = {};
  const conditions: PostCondition[] = [{ bucket: input.bucket }];
  if (input.key !== undefined) {
    if (input.key === '') throw new PresignInputError('key must not be empty');
    fields['key'] = input.key;
    conditions.push(input.key.includes('${filename}') ? ['starts-with', '$key', input.key.slice(0, input.key.indexOf('${filename}'))] : ['eq', '$key', input.key]);
  } else {
    const prefix = input.keyPrefix ?? '';
    fields['key'] = `${prefix}\${filename}`;
    conditions.push(['starts-with', '$key', prefix]);
  }
  const add = (name: string, value: string) => {
    if (RESERVED.has(name.toLowerCase())) throw new PresignInputError(`the field '${name}' is written by presignPost; it cannot be given in fields`);
    fields[name] = value;
    if (!named.has(name.toLowerCase())) conditions.push({ [name]: value });
  };
  for (const [name, value] of Object.entries(input.fields ?? {})) add(name, value);
  if (input.contentType !== undefined) add('Content-Type', input.contentType);
  if (input.successActionStatus !== undefined) add('success_action_status', String(input.successActionStatus));
  if (input.successActionRedirect !== undefined) add('success_action_redirect', input.successActionRedirect);
  if (input.contentLengthRange !== undefined) {
    const [min, max] = input.contentLengthRange;
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || min < 0 || max < min) {
      throw new PresignInputError(`contentLengthRange must be two whole numbers [min, max] with 0 <= min <= max; got [${min}, ${max}]`);
    }
    conditions.push(['content-length-range', min, max]);
  }
  conditions.push(...(input.conditions ?? []));

  const auth: Record<string, string> = { 'x-amz-algorithm': ALGORITHM, 'x-amz-credential': credential, 'x-amz-date': amzDate };
  const token = input.credentials.sessionToken;
  if (token !== undefined) auth['x-amz-security-token'] = token;
  for (const [name, value] of Object.entries(auth)) {
    fields[name] = value;
    conditions.push({ [name]: value });
  }
  const expiresAt = new Date(now + input.expiresIn * 1000);
  const policy = Buffer.from(JSON.stringify({ expiration: expiresAt.toISOString(), conditions })).toString('base64');
  fields['policy'] = policy;
  fields['x-amz-signature'] = signPostPolicy(crypto, deriveSigningKey(crypto, input.credentials.secretAccessKey, scope), policy);
  return { url, fields, expiresAt };
}

/** SigV4 signs a POST policy's base64 text directly: it is the string to sign. */
export function signPostPolicy(crypto: CryptoProvider, signingKey: Uint8Array, policyBase64: string): string {
  return toHex(crypto.hmacSha256(signingKey, policyBase64));
}

/** Lower-case field names a condition constrains ("$key" → "key"). */
function conditionFieldNames(condition: PostCondition): string[] {
  if (Array.isArray(condition)) {
    const [op, name] = condition as readonly unknown[];
    return op !== 'content-length-range' && typeof name === 'string' ? [name.replace(/^\$/, '').toLowerCase()] : [];
  }
  return Object.keys(condition).map((name) => name.toLowerCase());
}
