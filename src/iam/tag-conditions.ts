import type { ConditionValue, PolicyDocument } from './policy-types.js';

/*
 * S3's object-tag condition keys. The caller knows the tags (the object's
 * own, read from storage; the ones a request sets, from its header, form or
 * body) and passes them in as condition values built here:
 * - s3:ExistingObjectTag/<key>: the value of that tag on the object the
 *   request addresses;
 * - s3:RequestObjectTag/<key>: the value the request gives that tag;
 * - s3:RequestObjectTagKeys: every key the request sets (multi-valued, for
 *   ForAllValues / ForAnyValue).
 * Condition keys, these included, are matched case-insensitively.
 */

export const EXISTING_OBJECT_TAG = 's3:ExistingObjectTag/';
export const REQUEST_OBJECT_TAG = 's3:RequestObjectTag/';
export const REQUEST_OBJECT_TAG_KEYS = 's3:RequestObjectTagKeys';

type Tags = Readonly<Record<string, string>>;

/** The actions AWS evaluates s3:ExistingObjectTag for: those that act on an object that already exists. */
export const EXISTING_OBJECT_TAG_ACTIONS: ReadonlySet<string> = new Set([
  's3:GetObject', 's3:GetObjectVersion', 's3:GetObjectAttributes', 's3:GetObjectAcl', 's3:PutObjectAcl',
  's3:GetObjectTagging', 's3:PutObjectTagging', 's3:DeleteObjectTagging',
  's3:GetObjectVersionTagging', 's3:PutObjectVersionTagging', 's3:DeleteObjectVersionTagging',
].map((a) => a.toLowerCase()));

/** The actions whose requests can set tags, for which s3:RequestObjectTag* are given. */
export const REQUEST_OBJECT_TAG_ACTIONS: ReadonlySet<string> = new Set(['s3:PutObject', 's3:PutObjectTagging'].map((a) => a.toLowerCase()));

export function existingObjectTagConditions(tags: Tags): Record<string, ConditionValue> {
  const values: Record<string, ConditionValue> = {};
  for (const [key, value] of Object.entries(tags)) values[`${EXISTING_OBJECT_TAG}${key}`] = value;
  return values;
}

export function requestObjectTagConditions(tags: Tags): Record<string, ConditionValue> {
  const values: Record<string, ConditionValue> = { [REQUEST_OBJECT_TAG_KEYS]: Object.keys(tags) };
  for (const [key, value] of Object.entries(tags)) values[`${REQUEST_OBJECT_TAG}${key}`] = value;
  return values;
}

/**
 * A memo of a pure function of an immutable value (a parsed document is never
 * changed once made): it can only return what computing again would, and it
 * goes with the document, so nothing outside can tell it is there.
 */
const mentionsExisting = new WeakMap<PolicyDocument, boolean>();

/**
 * Whether any statement of these documents has an s3:ExistingObjectTag
 * condition: only then is it worth reading the object's tags (remembered
 * per parsed document, which the caller caches).
 */
export function mentionsExistingObjectTag(documents: readonly PolicyDocument[]): boolean {
  const prefix = EXISTING_OBJECT_TAG.toLowerCase();
  return documents.some((doc) => {
    let known = mentionsExisting.get(doc);
    if (known === undefined) {
      known = doc.statements.some((s) => s.conditions.some((c) => c.key.startsWith(prefix)));
      mentionsExisting.set(doc, known);
    }
    return known;
  });
}
