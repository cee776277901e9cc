// STUB: to be completed (SigV2 parse and verify).
import type { QueryPair } from './canonical-query.js';
import type { SignableRequest } from './types.js';

export interface V2Auth {
  readonly version: 2;
  readonly mode: 'header' | 'query';
  readonly accessKeyId: string;
  /** Base64 HMAC-SHA1 as provided. */
  readonly signature: string;
  /** Query auth: the Expires parameter, epoch seconds. */
  readonly expiresAt?: number;
  readonly securityToken?: string;
  readonly query: readonly QueryPair[];
}

export function parseV2Header(_request: SignableRequest, _authorization: string, _query: readonly QueryPair[]): V2Auth {
  throw new Error('not implemented');
}

export function parseV2Query(_query: readonly QueryPair[]): V2Auth {
  throw new Error('not implemented');
}

export interface VerifiedV2 {
  readonly version: 2;
  readonly mode: 'header' | 'query';
  readonly accessKeyId: string;
  readonly expiresAt?: number;
  readonly securityToken?: string;
}

export function verifyV2(_auth: V2Auth, _request: SignableRequest, _secret: string, _options: { readonly now: number }): VerifiedV2 {
  throw new Error('not implemented');
}
