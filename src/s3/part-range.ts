import { checksumHeaderName, parseChecksumAlgorithm } from '../checksums.js';
import { S3Error } from '../errors.js';
import type { ObjectRecord } from '../storage/types.js';
import type { RequestContext } from './context.js';
import { parseRange, type ByteRange } from './range.js';

const MAX_PART_NUMBER = 10_000;

function validPartNumber(text: string | undefined): number | undefined {
  const n = text !== undefined && /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  return n >= 1 && n <= MAX_PART_NUMBER ? n : undefined;
}

function invalidPartNumber(text: string | undefined): S3Error {
  return new S3Error('InvalidArgument', `Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive`, { ArgumentName: 'partNumber', ArgumentValue: text ?? '' });
}

/** partNumber, 1..10000: anything else is InvalidArgument, as in S3. */
export function partNumberParam(text: string | undefined): number {
  const n = validPartNumber(text);
  if (n === undefined) throw invalidPartNumber(text);
  return n;
}

/**
 * `?partNumber=` of a GET or HEAD, as sent and as a number (undefined when
 * invalid): refused only once the object is found and its conditions pass,
 * where the part is selected.
 */
export interface RequestedPart {
  readonly text: string;
  readonly partNumber: number | undefined;
}

export function requestedPartParam(ctx: RequestContext): RequestedPart | undefined {
  const text = ctx.query.get('partNumber');
  return text === undefined ? undefined : { text, partNumber: validPartNumber(text) };
}

/**
 * A stored checksum covers the whole object, so a partial response must not
 * carry it (S3 omits it too): clients that validate it, like the JS SDK by
 * default, would reject every ranged GET.
 */
function dropWholeObjectChecksums(headers: Record<string, string>): void {
  for (const name of Object.keys(headers)) if (name.startsWith('x-amz-checksum-')) delete headers[name];
}

/**
 * The bytes a GET or HEAD asks for: a Range header, or ?partNumber=N (that
 * part of a multipart object, with x-amz-mp-parts-count; part 1 of a plain
 * object is all of it). Adjusts `headers` to match: no whole-object checksum
 * on a partial answer, the part's own checksum when checksum mode is on.
 */
export function selectRange(ctx: RequestContext, object: ObjectRecord, headers: Record<string, string>, part: RequestedPart | undefined): ByteRange | undefined {
  if (part === undefined) {
    const range = parseRange(ctx.header('range'), object.size);
    if (range) dropWholeObjectChecksums(headers);
    return range;
  }
  const { partNumber } = part;
  if (partNumber === undefined) throw invalidPartNumber(part.text);
  if (ctx.header('range') !== undefined) throw new S3Error('InvalidRequest', 'Cannot specify both Range header and partNumber query parameter.');
  const parts: ReadonlyArray<{ readonly size: number; readonly checksums: Readonly<Record<string, string>> }> = object.parts ?? [{ size: object.size, checksums: {} }];
  // Parts may have been uploaded with gaps in their numbers; reads count them 1..n, as S3 does.
  const selected = parts[partNumber - 1];
  if (selected === undefined) throw new S3Error('InvalidPartNumber', undefined, { PartNumberRequested: String(partNumber), ActualPartCount: String(parts.length) });
  dropWholeObjectChecksums(headers);
  if (object.parts !== undefined) {
    headers['x-amz-mp-parts-count'] = String(parts.length);
    if (ctx.header('x-amz-checksum-mode')?.toUpperCase() === 'ENABLED') {
      for (const algorithm of Object.keys(object.checksums)) {
        const parsed = parseChecksumAlgorithm(algorithm);
        const value = selected.checksums[algorithm];
        if (parsed && value !== undefined) headers[checksumHeaderName(parsed)] = value;
      }
    }
  }
  const start = parts.slice(0, parts.indexOf(selected)).reduce((sum, p) => sum + p.size, 0);
  return selected.size === 0 ? undefined : { start, end: start + selected.size - 1 };
}
