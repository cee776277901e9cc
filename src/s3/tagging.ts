import { S3Error } from '../errors.js';
import type { VerifiedAuth } from '../sigv4/verify.js';
import type { ObjectTags } from '../storage/types.js';
import type { RequestContext } from './context.js';
import { headerText } from './header-text.js';
import { readXmlBody } from './request-body.js';
import { asList, escapeXml, parseXml, S3_NAMESPACE, XML_DECLARATION } from './xml.js';

/*
 * Tag sets as S3 takes them: a <Tagging> document (PutObjectTagging,
 * PutBucketTagging, a POST form's `tagging` field) or the URL-encoded
 * x-amz-tagging header (PutObject, CopyObject, CreateMultipartUpload), with
 * S3's limits and its error for each. The limits count Unicode characters.
 */

export type TagTarget = 'object' | 'bucket';

const LIMITS = { object: 10, bucket: 50 } as const;
const MAX_KEY = 128;
const MAX_VALUE = 256;
/** Letters, digits and whitespace in any script, and _ . : / = + - @ (AWS's tag character set). */
const TAG_CHARACTERS = /^[\p{L}\p{N}\p{Z}\s_.:/=+\-@]*$/u;

interface Tag {
  readonly key: string;
  readonly value: string;
}

function length(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** Each tag in turn, then the count, as S3 checks them; the set as key → value. */
export function validateTags(tags: readonly Tag[], target: TagTarget): ObjectTags {
  // A Map, so a key such as "__proto__" is a tag like any other.
  const set = new Map<string, string>();
  for (const { key, value } of tags) {
    if (length(key) < 1 || length(key) > MAX_KEY || !TAG_CHARACTERS.test(key)) throw new S3Error('InvalidTag', 'The TagKey you have provided is invalid');
    if (length(value) > MAX_VALUE || !TAG_CHARACTERS.test(value)) throw new S3Error('InvalidTag', 'The TagValue you have provided is invalid');
    if (key.toLowerCase().startsWith('aws:')) {
      throw new S3Error('InvalidTag', target === 'object' ? 'Your TagKey cannot be prefixed with aws:' : 'System tags cannot be added/updated by requester');
    }
    if (set.has(key)) throw new S3Error('InvalidTag', 'Cannot provide multiple Tags with the same key');
    set.set(key, value);
  }
  if (tags.length > LIMITS[target]) {
    throw new S3Error('BadRequest', target === 'object' ? 'Object tags cannot be greater than 10' : 'Bucket tag count cannot be greater than 50');
  }
  return Object.fromEntries(set);
}

/** A parsed <Tagging> document's tags: every Tag needs one Key and one Value. */
export function tagsOfDocument(document: Record<string, unknown> | undefined, target: TagTarget): ObjectTags {
  const tagging = document?.['Tagging'];
  if (tagging === null || typeof tagging !== 'object' || Array.isArray(tagging)) throw new S3Error('MalformedXML');
  const tagSet = (tagging as Record<string, unknown>)['TagSet'];
  if (tagSet === undefined || Array.isArray(tagSet)) throw new S3Error('MalformedXML');
  const entries = tagSet !== null && typeof tagSet === 'object' ? asList((tagSet as Record<string, unknown>)['Tag']) : [];
  const tags = entries.map((entry): Tag => {
    const fields = entry !== null && typeof entry === 'object' ? (entry as Record<string, unknown>) : {};
    const { Key: key, Value: value } = fields;
    if (typeof key !== 'string' || typeof value !== 'string') throw new S3Error('MalformedXML');
    return { key, value };
  });
  return validateTags(tags, target);
}

/** The request body of PutObjectTagging or PutBucketTagging. */
export async function readTaggingBody(ctx: RequestContext, auth: VerifiedAuth, target: TagTarget): Promise<ObjectTags> {
  return tagsOfDocument(await readXmlBody(ctx, auth, { optional: false }), target);
}

function invalidHeader(): S3Error {
  return new S3Error('InvalidArgument', "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.");
}

function decodeComponent(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    throw invalidHeader();
  }
}

/**
 * x-amz-tagging: "k1=v1&k2=v2", URL query encoded. Empty pairs are skipped
 * and a pair without "=" is a key with an empty value, as S3 reads it; an
 * empty key, a bad escape or a repeated key is InvalidArgument.
 */
export function tagsOfHeader(raw: string): ObjectTags {
  const tags: Tag[] = [];
  const seen = new Set<string>();
  for (const pair of headerText(raw).split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = decodeComponent(eq === -1 ? pair : pair.slice(0, eq));
    const value = eq === -1 ? '' : decodeComponent(pair.slice(eq + 1));
    if (key === '' || seen.has(key)) throw invalidHeader();
    seen.add(key);
    tags.push({ key, value });
  }
  return validateTags(tags, 'object');
}

/** The tags a write asks for through x-amz-tagging (or a form field of that name), undefined when it asks for none. */
export function requestedTags(get: (name: string) => string | undefined): ObjectTags | undefined {
  const raw = get('x-amz-tagging');
  return raw === undefined ? undefined : tagsOfHeader(raw);
}

/** A POST form's `tagging` field: a <Tagging> document, as S3 takes it there. */
export function tagsOfFormField(text: string | undefined): ObjectTags | undefined {
  return text === undefined ? undefined : tagsOfDocument(parseXml(text), 'object');
}

/**
 * Tags read ahead of the operation, for s3:RequestObjectTag conditions: a
 * set that does not parse is none there, and the operation refuses it.
 */
export function tagsIfValid(parse: () => ObjectTags | undefined): ObjectTags | undefined {
  try {
    return parse();
  } catch {
    return undefined;
  }
}

/** The <Tagging> document GetObjectTagging and GetBucketTagging answer. */
export function taggingXml(tags: ObjectTags): string {
  const items = Object.entries(tags).map(([key, value]) => `<Tag><Key>${escapeXml(key)}</Key><Value>${escapeXml(value)}</Value></Tag>`);
  return `${XML_DECLARATION}<Tagging xmlns="${S3_NAMESPACE}"><TagSet>${items.join('')}</TagSet></Tagging>`;
}

/** x-amz-tagging-count on GET and HEAD, present only when the object has tags (as S3). */
export function tagCountHeader(tags: ObjectTags): Record<string, string> {
  const count = Object.keys(tags).length;
  return count === 0 ? {} : { 'x-amz-tagging-count': String(count) };
}
