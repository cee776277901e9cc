/**
 * The S3 error codes a signature check ends in, with AWS's status and default
 * message. This library answers in S3's terms because SigV4 is S3's protocol,
 * but it owns its errors: src/s3 maps each to the server's S3Error (and checks
 * at compile time that every row here is the same as in the server's table).
 */
export const AUTH_ERROR_CODES = {
  AccessDenied: [403, 'Access Denied'],
  AuthorizationHeaderMalformed: [400, 'The authorization header is malformed.'],
  AuthorizationQueryParametersError: [400, 'Error parsing the query-string authentication parameters.'],
  BadDigest: [400, 'The Content-MD5 you specified did not match what we received.'],
  IncompleteBody: [400, 'You did not provide the number of bytes specified by the Content-Length HTTP header.'],
  InvalidAccessKeyId: [403, 'The AWS Access Key Id you provided does not exist in our records.'],
  InvalidArgument: [400, 'Invalid Argument'],
  InvalidChunkSizeError: [403, 'Only the last chunk is allowed to have a size less than 8192 bytes'],
  InvalidRequest: [400, 'Invalid Request'],
  MalformedTrailerError: [400, 'The request contained trailing data that was not well-formed or did not conform to our published schema.'],
  MissingContentLength: [411, 'You must provide the Content-Length HTTP header.'],
  RequestTimeTooSkewed: [403, 'The difference between the request time and the current time is too large.'],
  SignatureDoesNotMatch: [403, 'The request signature we calculated does not match the signature you provided. Check your key and signing method.'],
} as const satisfies Record<string, readonly [number, string]>;

export type AuthErrorCode = keyof typeof AUTH_ERROR_CODES;

/** Extra elements S3 renders inside <Error> after Code and Message (e.g. HeadersNotSigned). */
export type AuthErrorDetails = Readonly<Record<string, string>>;

/**
 * Every way a signed request can be refused. Each defect is its own value so
 * tests and logs can tell them apart; each maps to the S3 code, status and
 * message that AWS answers with.
 */
export type AuthDefect =
  | 'multiple-auth-mechanisms'
  | 'conflicting-values'
  | 'unsupported-authorization-type'
  | 'malformed-authorization-header'
  | 'missing-query-parameters'
  | 'duplicate-query-parameter'
  | 'unsupported-algorithm'
  | 'malformed-credential'
  | 'wrong-region'
  | 'wrong-service'
  | 'wrong-terminator'
  | 'malformed-date'
  | 'missing-date'
  | 'scope-date-mismatch'
  | 'expires-not-a-number'
  | 'expires-negative'
  | 'expires-too-large'
  | 'host-not-signed'
  | 'headers-not-signed'
  | 'missing-content-sha256'
  | 'invalid-content-sha256'
  | 'unknown-access-key'
  | 'signature-mismatch'
  | 'expired'
  | 'not-yet-valid'
  | 'time-skewed'
  | 'v2-missing-query-parameters'
  | 'v2-malformed-authorization-header'
  | 'v2-expires-too-far'
  | 'v2-invalid-expires'
  | 'chunk-malformed'
  | 'chunk-too-large'
  | 'chunk-too-small'
  | 'chunk-decoded-length-missing'
  | 'chunk-trailer-unsupported'
  | 'chunk-signature-mismatch'
  | 'chunk-incomplete-body'
  | 'chunk-decoded-length-mismatch'
  | 'chunk-trailer-malformed'
  | 'chunk-trailer-signature-mismatch'
  | 'chunk-checksum-mismatch';

export class AuthError extends Error {
  readonly status: number;

  constructor(
    readonly defect: AuthDefect,
    readonly code: AuthErrorCode,
    message?: string,
    readonly details: AuthErrorDetails = {},
  ) {
    const [status, defaultMessage] = AUTH_ERROR_CODES[code];
    super(message ?? defaultMessage);
    this.name = 'AuthError';
    this.status = status;
  }
}

export type AuthMode = 'header' | 'query';

const CREDENTIAL_SHAPE = '"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request"';
const BODY_TERMINATED = 'The request body terminated unexpectedly';

/** Header errors say "The authorization header is malformed; …", query errors "Error parsing the X-Amz-Credential parameter; …". */
function credentialError(defect: AuthDefect, mode: AuthMode, reason: string, details: AuthErrorDetails = {}): AuthError {
  return mode === 'header'
    ? new AuthError(defect, 'AuthorizationHeaderMalformed', `The authorization header is malformed; ${reason}`, details)
    : new AuthError(defect, 'AuthorizationQueryParametersError', `Error parsing the X-Amz-Credential parameter; ${reason}`, details);
}

export const authErrors = {
  multipleMechanisms: () =>
    new AuthError(
      'multiple-auth-mechanisms',
      'InvalidArgument',
      'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified',
      { ArgumentName: 'Authorization' },
    ),
  conflictingValues: () =>
    new AuthError('conflicting-values', 'InvalidRequest', 'Conflicting values provided in HTTP headers and query parameters'),
  unsupportedAuthorizationType: (value: string) =>
    new AuthError('unsupported-authorization-type', 'InvalidArgument', 'Unsupported Authorization Type', {
      ArgumentName: 'Authorization',
      ArgumentValue: value.slice(0, 64),
    }),
  malformedAuthorizationHeader: () =>
    new AuthError(
      'malformed-authorization-header',
      'AuthorizationHeaderMalformed',
      'The authorization header is malformed; the authorization header requires three components: Credential, SignedHeaders, and Signature.',
    ),
  missingQueryParameters: () =>
    new AuthError(
      'missing-query-parameters',
      'AuthorizationQueryParametersError',
      'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.',
    ),
  duplicateQueryParameter: (name: string) =>
    new AuthError('duplicate-query-parameter', 'AuthorizationQueryParametersError', `The ${name} parameter must be given only once.`),
  unsupportedAlgorithm: () =>
    new AuthError('unsupported-algorithm', 'AuthorizationQueryParametersError', 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"'),
  malformedCredential: (mode: AuthMode) =>
    credentialError('malformed-credential', mode, `the Credential is mal-formed; expecting ${CREDENTIAL_SHAPE}.`),
  wrongRegion: (mode: AuthMode, given: string, expected: string) =>
    credentialError('wrong-region', mode, `the region '${given}' is wrong; expecting '${expected}'`, { Region: expected }),
  wrongService: (mode: AuthMode, given: string, expected: string) =>
    credentialError('wrong-service', mode, `incorrect service "${given}". This endpoint belongs to "${expected}".`),
  wrongTerminator: (mode: AuthMode, given: string) =>
    credentialError('wrong-terminator', mode, `incorrect terminal "${given}". This endpoint uses "aws4_request".`),
  scopeDateMismatch: (mode: AuthMode) =>
    credentialError('scope-date-mismatch', mode, 'Invalid credential date. Date is not the same as X-Amz-Date.'),
  malformedDate: () =>
    new AuthError('malformed-date', 'AuthorizationQueryParametersError', 'X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd\'T\'HHmmss\'Z\'"'),
  missingDate: () =>
    new AuthError('missing-date', 'AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header'),
  expiresNotANumber: () =>
    new AuthError('expires-not-a-number', 'AuthorizationQueryParametersError', 'X-Amz-Expires should be a number'),
  expiresNegative: () =>
    new AuthError('expires-negative', 'AuthorizationQueryParametersError', 'X-Amz-Expires must be non-negative'),
  expiresTooLarge: () =>
    new AuthError(
      'expires-too-large',
      'AuthorizationQueryParametersError',
      'X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds',
    ),
  hostNotSigned: (mode: AuthMode) =>
    mode === 'header'
      ? new AuthError('host-not-signed', 'AuthorizationHeaderMalformed', 'The authorization header is malformed; the host header must be signed.')
      : new AuthError('host-not-signed', 'AuthorizationQueryParametersError', 'X-Amz-SignedHeaders must contain host.'),
  headersNotSigned: (names: readonly string[]) =>
    new AuthError('headers-not-signed', 'AccessDenied', 'There were headers present in the request which were not signed', {
      HeadersNotSigned: names.join(', '),
    }),
  missingContentSha256: () =>
    new AuthError('missing-content-sha256', 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256'),
  invalidContentSha256: () =>
    new AuthError(
      'invalid-content-sha256',
      'InvalidArgument',
      'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.',
      { ArgumentName: 'x-amz-content-sha256' },
    ),
  unknownAccessKey: (accessKeyId: string) =>
    new AuthError('unknown-access-key', 'InvalidAccessKeyId', undefined, { AWSAccessKeyId: accessKeyId }),
  signatureMismatch: (details: { accessKeyId: string; stringToSign: string; signatureProvided: string; canonicalRequest?: string }) =>
    new AuthError('signature-mismatch', 'SignatureDoesNotMatch', undefined, {
      AWSAccessKeyId: details.accessKeyId,
      StringToSign: details.stringToSign,
      SignatureProvided: details.signatureProvided,
      ...(details.canonicalRequest === undefined ? {} : { CanonicalRequest: details.canonicalRequest }),
    }),
  expired: (details: AuthErrorDetails) => new AuthError('expired', 'AccessDenied', 'Request has expired', details),
  notYetValid: (details: AuthErrorDetails) => new AuthError('not-yet-valid', 'AccessDenied', 'Request is not yet valid', details),
  timeSkewed: (requestTime: string, serverTime: string) =>
    new AuthError('time-skewed', 'RequestTimeTooSkewed', undefined, {
      RequestTime: requestTime,
      ServerTime: serverTime,
      MaxAllowedSkewMilliseconds: '900000',
    }),
  v2MissingQueryParameters: () =>
    new AuthError(
      'v2-missing-query-parameters',
      'AccessDenied',
      'Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters',
    ),
  v2MalformedAuthorizationHeader: () =>
    new AuthError('v2-malformed-authorization-header', 'InvalidArgument', 'AWS authorization header is invalid.  Expected AwsAccessKeyId:signature', {
      ArgumentName: 'Authorization',
    }),
  v2InvalidExpires: (value: string) =>
    new AuthError('v2-invalid-expires', 'AccessDenied', `Invalid date (should be seconds since epoch): ${value.slice(0, 64)}`),
  v2ExpiresTooFar: () =>
    new AuthError(
      'v2-expires-too-far',
      'AccessDenied',
      'Expires must be less than a week (in seconds) in the future; that is, the given Expires must be at most 604800 seconds from now',
    ),

  // aws-chunked bodies. AWS answers IncompleteBody "The request body terminated unexpectedly"
  // for every framing fault (bad size line, missing CRLF, missing or ill-formed chunk-signature,
  // truncation), so malformed framing and a truncated body share that code and message.
  chunkMalformed: () => new AuthError('chunk-malformed', 'IncompleteBody', BODY_TERMINATED),
  chunkIncompleteBody: () => new AuthError('chunk-incomplete-body', 'IncompleteBody', BODY_TERMINATED),
  /** Above our cap: refused at the size line; AWS would wait for the bytes and fail the same way. */
  chunkTooLarge: (declared: string) =>
    new AuthError('chunk-too-large', 'IncompleteBody', BODY_TERMINATED, { BadChunkSize: declared.slice(0, 32) }),
  chunkTooSmall: (chunk: number, size: number) =>
    new AuthError('chunk-too-small', 'InvalidChunkSizeError', undefined, { Chunk: String(chunk), BadChunkSize: String(size) }),
  chunkSignatureMismatch: (details: { accessKeyId?: string; stringToSign: string; signatureProvided: string }) =>
    new AuthError('chunk-signature-mismatch', 'SignatureDoesNotMatch', undefined, chunkSignatureDetails(details)),
  chunkDecodedLengthMismatch: (expected: number, provided: number) =>
    new AuthError('chunk-decoded-length-mismatch', 'IncompleteBody', undefined, {
      NumberBytesExpected: String(expected),
      NumberBytesProvided: String(provided),
    }),
  /** AWS answers a missing or unparsable x-amz-decoded-content-length with MissingContentLength. */
  chunkDecodedLengthMissing: () => new AuthError('chunk-decoded-length-missing', 'MissingContentLength'),
  chunkTrailerMalformed: () => new AuthError('chunk-trailer-malformed', 'MalformedTrailerError'),
  chunkTrailerUnsupported: () =>
    new AuthError('chunk-trailer-unsupported', 'InvalidRequest', 'The value specified in the x-amz-trailer header is not supported'),
  chunkTrailerSignatureMismatch: (details: { accessKeyId?: string; stringToSign: string; signatureProvided: string }) =>
    new AuthError('chunk-trailer-signature-mismatch', 'SignatureDoesNotMatch', undefined, chunkSignatureDetails(details)),
  /** `algorithm` as S3 names it in the message: CRC32, CRC32C, CRC64NVME, SHA1, SHA256. */
  chunkChecksumMismatch: (algorithm: string) =>
    new AuthError('chunk-checksum-mismatch', 'BadDigest', `The ${algorithm} you specified did not match the calculated checksum.`),
} as const;

function chunkSignatureDetails(details: { accessKeyId?: string; stringToSign: string; signatureProvided: string }): AuthErrorDetails {
  return {
    ...(details.accessKeyId === undefined ? {} : { AWSAccessKeyId: details.accessKeyId }),
    StringToSign: details.stringToSign,
    SignatureProvided: details.signatureProvided,
  };
}
