/*
 * User-defined object metadata travels as headers under one prefix, shared by
 * the S3 layer (which stores and returns it), the presign API (which signs it
 * into an upload link) and the console (which forwards it to S3).
 */

/** The header prefix of user metadata; names are lower case on the wire. */
export const USER_METADATA_PREFIX = 'x-amz-meta-';
