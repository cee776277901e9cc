import { toHex } from './hex.js';
import { ALGORITHM, type CredentialScope, type CryptoProvider } from './types.js';

export function scopeString(scope: CredentialScope): string {
  return `${scope.date}/${scope.region}/${scope.service}/aws4_request`;
}

export function stringToSign(crypto: CryptoProvider, amzDate: string, scope: CredentialScope, canonicalRequest: string): string {
  return [ALGORITHM, amzDate, scopeString(scope), crypto.sha256Hex(canonicalRequest)].join('\n');
}

export function signString(crypto: CryptoProvider, signingKey: Uint8Array, text: string): string {
  return toHex(crypto.hmacSha256(signingKey, text));
}
