import { formatIsoSeconds } from './amz-date.js';
import { canonicalRequest, decodeWirePath } from './canonical-request.js';
import type { HeaderValues } from './canonical-headers.js';
import { authErrors } from './errors.js';
import { fromHex } from './hex.js';
import { parseAuthorization, type ParseOptions, type ParsedAuth, type V4Auth } from './parse.js';
import { verifyV2, type VerifiedV2 } from './sigv2.js';
import type { SigningKeyCache} from './signing-key.js';
import { deriveSigningKey } from './signing-key.js';
import { stringToSign } from './string-to-sign.js';
import { MAX_SKEW_MS, type CredentialScope, type CryptoProvider, type SignableRequest } from './types.js';

export interface VerifyOptions {
  /** Epoch milliseconds. */
  readonly now: number;
  readonly crypto: CryptoProvider;
  readonly keyCache?: SigningKeyCache;
  /** Collapse '.', '..' and '//' before signing (never for S3). */
  readonly normalizePath?: boolean;
  /** The body's hash where the service signs it without x-amz-content-sha256 (STS, the test suite). */
  readonly payloadHash?: string;
  /** SigV2 only: the bucket named by a virtual-hosted Host, which V2 signs as a '/bucket' path prefix. */
  readonly virtualHostBucket?: string;
}

export interface VerifiedV4 {
  readonly version: 4;
  readonly mode: 'header' | 'query';
  readonly accessKeyId: string;
  readonly scope: CredentialScope;
  readonly amzDate: string;
  readonly signedAt: number;
  /** Query auth: when the URL stops working (epoch ms). */
  readonly expiresAt?: number;
  readonly securityToken?: string;
  readonly payloadHash: string;
  /** The seed for chained aws-chunked signatures. */
  readonly signature: string;
  readonly signingKey: Uint8Array;
}

export interface AnonymousRequest {
  readonly version: 0;
}

export type VerifiedAuth = AnonymousRequest | VerifiedV4 | VerifiedV2;

export interface SecretLookup {
  (accessKeyId: string): { readonly secretAccessKey: string } | undefined | Promise<{ readonly secretAccessKey: string } | undefined>;
}

/** Parse, look the key up, then verify: the whole check for one request. */
export async function verifyRequest(
  request: SignableRequest,
  options: VerifyOptions & ParseOptions & { readonly lookupSecret: SecretLookup },
): Promise<VerifiedAuth> {
  const parsed = parseAuthorization(request, options);
  if (parsed.version === 0) return { version: 0 };
  const secret = await options.lookupSecret(parsed.accessKeyId);
  if (secret === undefined) throw authErrors.unknownAccessKey(parsed.accessKeyId);
  return verifyParsed(parsed, request, secret.secretAccessKey, options);
}

export function verifyParsed(
  parsed: Exclude<ParsedAuth, { version: 0 }>,
  request: SignableRequest,
  secretAccessKey: string,
  options: VerifyOptions,
): VerifiedV4 | VerifiedV2 {
  return parsed.version === 4 ? verifyV4(parsed, request, secretAccessKey, options) : verifyV2(parsed, request, secretAccessKey, options);
}

/** Signature first, then time: a forged URL never learns whether it would have expired. */
export function verifyV4(auth: V4Auth, request: SignableRequest, secretAccessKey: string, options: VerifyOptions): VerifiedV4 {
  const payloadHash = options.payloadHash ?? auth.payloadHash;
  if (payloadHash === undefined) throw authErrors.missingContentSha256();
  const canonical = canonicalRequest({
    method: request.method,
    decodedPath: decodeWirePath(request.path),
    query: auth.query,
    signedHeaders: auth.signedHeaders,
    header: (name) => headerOrHoisted(request, auth, name),
    payloadHash,
    normalizePath: options.normalizePath ?? false,
  });
  const toSign = stringToSign(options.crypto, auth.amzDate, auth.scope, canonical);
  const signingKey = options.keyCache
    ? options.keyCache.get(secretAccessKey, auth.scope, auth.securityToken)
    : deriveSigningKey(options.crypto, secretAccessKey, auth.scope);
  const expected = options.crypto.hmacSha256(signingKey, toSign);
  // fromHex takes lower-case hex only, so a match means auth.signature is exactly the expected hex.
  const provided = fromHex(auth.signature);
  if (provided === undefined || !options.crypto.timingSafeEqual(provided, expected)) {
    throw authErrors.signatureMismatch({
      accessKeyId: auth.accessKeyId,
      stringToSign: toSign,
      signatureProvided: auth.signature,
      canonicalRequest: canonical,
    });
  }

  let expiresAt: number | undefined;
  if (auth.mode === 'query') {
    expiresAt = checkQueryWindow(auth, options.now);
  } else if (Math.abs(options.now - auth.signedAt) > MAX_SKEW_MS) {
    throw authErrors.timeSkewed(auth.amzDate, formatIsoSeconds(options.now));
  }

  return {
    version: 4,
    mode: auth.mode,
    accessKeyId: auth.accessKeyId,
    scope: auth.scope,
    amzDate: auth.amzDate,
    signedAt: auth.signedAt,
    ...(expiresAt === undefined ? {} : { expiresAt }),
    ...(auth.securityToken === undefined ? {} : { securityToken: auth.securityToken }),
    payloadHash,
    signature: auth.signature,
    signingKey,
  };
}

/** The fields of a query signature its validity window depends on. */
export type QueryWindow = Pick<V4Auth, 'amzDate' | 'signedAt' | 'expiresSeconds'>;

/**
 * A pre-signed URL works from X-Amz-Date (less the allowed clock skew) until
 * X-Amz-Date + X-Amz-Expires. Returns the expiry (epoch ms); throws
 * AccessDenied "Request is not yet valid" / "Request has expired" otherwise.
 */
export function checkQueryWindow(auth: QueryWindow, now: number): number {
  const expiresAt = auth.signedAt + (auth.expiresSeconds ?? 0) * 1000;
  if (auth.signedAt - now > MAX_SKEW_MS) {
    throw authErrors.notYetValid({
      'X-Amz-Date': auth.amzDate,
      Expires: formatIsoSeconds(expiresAt),
      ServerTime: formatIsoSeconds(now),
    });
  }
  if (now > expiresAt) {
    throw authErrors.expired({
      'X-Amz-Expires': String(auth.expiresSeconds ?? 0),
      Expires: formatIsoSeconds(expiresAt),
      ServerTime: formatIsoSeconds(now),
    });
  }
  return expiresAt;
}

/** A signed x-amz-* header may travel in the query instead (some SDKs hoist it there). */
function headerOrHoisted(request: SignableRequest, auth: V4Auth, name: string): HeaderValues {
  const value = request.headers[name];
  if (value !== undefined || !name.startsWith('x-amz-')) return value;
  const hoisted = auth.query.filter(([param]) => param.toLowerCase() === name).map(([, v]) => v);
  return hoisted.length === 0 ? undefined : hoisted;
}
