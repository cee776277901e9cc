/** The request as the verifier and signer see it: raw wire forms, no parsing done yet. */
export interface SignableRequest {
  readonly method: string;
  /** Path as sent on the wire (percent-encoded), without the query string. */
  readonly path: string;
  /** Raw query string without the leading '?'. */
  readonly query: string;
  /** The query already split and decoded (parseQuery of `query`), when the caller has it. */
  readonly queryPairs?: ReadonlyArray<readonly [string, string]>;
  /** Lower-case names; a header sent several times is an array in arrival order. */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
}

export interface Hasher {
  update(data: Uint8Array | string): Hasher;
  digest(): Uint8Array;
}

/** Hashing is injected so the library stays pure and testable. */
export interface CryptoProvider {
  sha256(data: Uint8Array | string): Uint8Array;
  /** The same digest as lower-case hex: what signing mostly needs, and cheaper than bytes then hex. */
  sha256Hex(data: Uint8Array | string): string;
  createSha256(): Hasher;
  hmacSha256(key: Uint8Array | string, data: string): Uint8Array;
  hmacSha1(key: Uint8Array | string, data: string): Uint8Array;
  timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean;
}

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
}

export interface CredentialScope {
  /** YYYYMMDD */
  readonly date: string;
  readonly region: string;
  readonly service: string;
}

export const ALGORITHM = 'AWS4-HMAC-SHA256';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
/** Longest validity of a pre-signed URL, in seconds (7 days). */
export const MAX_PRESIGN_EXPIRES = 604800;
/** Allowed clock difference for header-signed requests and future-dated URLs. */
export const MAX_SKEW_MS = 15 * 60 * 1000;
