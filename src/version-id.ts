import { randomBytes } from 'node:crypto';

/*
 * Object version ids, shared by storage (which issues them), the S3 layer
 * (which refuses malformed ones with InvalidArgument, as S3 does) and the
 * presign API (which refuses to sign a link to one).
 */

/** 24 base64url characters (144 random bits): unique without coordination between nodes. */
const VERSION_ID = /^[A-Za-z0-9_-]{24}$/;

export function newVersionId(): string {
  return randomBytes(18).toString('base64url');
}

/** A version id this server could have issued, or S3's "null". */
export function isWellFormedVersionId(id: string): boolean {
  return id === 'null' || VERSION_ID.test(id);
}
