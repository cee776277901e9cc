export * from './types.js';
export { AuthError, authErrors, AUTH_ERROR_CODES, type AuthDefect, type AuthErrorCode, type AuthErrorDetails } from './errors.js';
export { nodeCrypto } from './node-crypto.js';
export { SigningKeyCache, deriveSigningKey } from './signing-key.js';
export { canonicalRequest } from './canonical-request.js';
export { canonicalUri } from './canonical-uri.js';
export { canonicalQuery, parseQuery, type QueryPair } from './canonical-query.js';
export { uriEncode, percentDecode } from './uri-encode.js';
export { formatAmzDate, parseAmzDate } from './amz-date.js';
export { parseAuthorization, type ParsedAuth, type V4Auth, type AnonymousAuth } from './parse.js';
export { verifyRequest, verifyParsed, verifyV4, checkQueryWindow, type VerifiedAuth, type VerifiedV4, type VerifyOptions } from './verify.js';
export { presign, signRequest, PresignError, type PresignInput, type PresignResult, type SignRequestInput } from './sign.js';
export {
  signV2,
  verifyV2,
  parseV2Header,
  parseV2Query,
  canonicalResource,
  v2StringToSign,
  type V2Auth,
  type VerifiedV2,
  type VerifyV2Options,
  type SignV2Input,
  type SignV2Result,
} from './sigv2.js';
export {
  ChunkedDecoder,
  isStreamingPayload,
  parseTrailerNames,
  STREAMING_SIGNED,
  STREAMING_SIGNED_TRAILER,
  STREAMING_UNSIGNED_TRAILER,
  DEFAULT_MAX_CHUNK_SIZE,
  AWS_MIN_CHUNK_SIZE,
  DEFAULT_MAX_TRAILER_BYTES,
  type ChunkedDecoderOptions,
  type ChunkedResult,
  type StreamingPayload,
  type TrailerChecksum,
} from './chunked.js';
export { ChunkedDecodeStream, createChunkedDecodeStream } from './chunked-stream.js';
export { encodeChunked, splitChunks, type ChunkedEncodeOptions } from './chunked-encode.js';
export { chunkStringToSign, trailerStringToSign, canonicalTrailers, type ChunkSigningContext } from './chunked-signature.js';
