import { S3Error } from '../errors.js';
import { httpDate } from './http-dates.js';

export interface Validators {
  readonly etag: string;
  readonly lastModified: Date;
}

export interface ConditionHeaders {
  readonly ifMatch?: string | undefined;
  readonly ifNoneMatch?: string | undefined;
  readonly ifModifiedSince?: string | undefined;
  readonly ifUnmodifiedSince?: string | undefined;
}

/**
 * S3's precedence (RFC 9110 §13.2.2): If-Match beats If-Unmodified-Since,
 * If-None-Match beats If-Modified-Since. For reads a failed If-None-Match /
 * If-Modified-Since is 304; writes and copies use `notModified: 'precondition'`.
 * An If-Modified-Since later than `now` is invalid and ignored (RFC 9110
 * §13.1.3), as S3 does: a client's skewed clock must not hide a fresh object.
 */
export function checkConditions(
  headers: ConditionHeaders,
  current: Validators,
  now: number,
  notModified: 'not-modified' | 'precondition' = 'not-modified',
): void {
  const lastModified = Math.floor(current.lastModified.getTime() / 1000) * 1000;
  if (headers.ifMatch !== undefined) {
    if (!etagListMatches(headers.ifMatch, current.etag)) throw new S3Error('PreconditionFailed', undefined, { Condition: 'If-Match' });
  } else if (headers.ifUnmodifiedSince !== undefined) {
    const since = Date.parse(headers.ifUnmodifiedSince);
    if (!Number.isNaN(since) && lastModified > since) throw new S3Error('PreconditionFailed', undefined, { Condition: 'If-Unmodified-Since' });
  }
  // S3's 304 carries the validators the client compares its cached copy against.
  const fail = () =>
    notModified === 'not-modified'
      ? new S3Error('NotModified', undefined, {}, { etag: `"${current.etag}"`, 'last-modified': httpDate(current.lastModified) })
      : new S3Error('PreconditionFailed', undefined, { Condition: 'If-None-Match' });
  if (headers.ifNoneMatch !== undefined) {
    if (etagListMatches(headers.ifNoneMatch, current.etag)) throw fail();
  } else if (headers.ifModifiedSince !== undefined) {
    const since = Date.parse(headers.ifModifiedSince);
    if (!Number.isNaN(since) && since <= now && lastModified <= since) throw fail();
  }
}

/** "*" or a comma-separated list of entity tags, quoted or not, weak prefix ignored. */
export function etagListMatches(list: string, etag: string): boolean {
  const bare = etag.replace(/^"|"$/g, '');
  return list.split(',').some((item) => {
    const tag = item.trim().replace(/^W\//, '').replace(/^"|"$/g, '');
    return tag === '*' || tag === bare;
  });
}
