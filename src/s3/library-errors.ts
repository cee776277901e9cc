import { S3Error, type S3_ERROR_CODES } from '../errors.js';
import { PolicyError } from '../iam/policy-error.js';
import { AUTH_ERROR_CODES, AuthError, type AuthErrorCode } from '../sigv4/errors.js';

/**
 * The edge where the pure libraries' own errors become S3's (as Garage maps its
 * SignatureError into the S3 API error): src/sigv4 refuses with an AuthError,
 * src/iam with a PolicyError, and every renderer asks here what that is in S3.
 */

// Fails to compile if sigv4 names a code the server's table lacks, or gives it another status or default message.
const SAME_AS_SERVER_TABLE: { readonly [C in AuthErrorCode]: (typeof S3_ERROR_CODES)[C] } = AUTH_ERROR_CODES;
void SAME_AS_SERVER_TABLE;

/** Whether `asS3Error` maps this error (the check alone, without making the S3Error). */
export function isRefusal(error: unknown): boolean {
  return error instanceof S3Error || error instanceof AuthError || error instanceof PolicyError;
}

/** A refusal as S3 answers it: an S3Error as is, a library's error mapped; undefined for anything else (a bug). */
export function asS3Error(error: unknown): S3Error | undefined {
  if (error instanceof S3Error) return error;
  if (error instanceof AuthError) return new S3Error(error.code, error.message, error.details);
  if (error instanceof PolicyError) return new S3Error(error.code, error.message);
  return undefined;
}
