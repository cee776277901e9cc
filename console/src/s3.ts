import { csrfHeaders, ApiError } from './api.js';

/** S3 calls through the console's proxy: same origin, so the session cookie and CSRF token are all they need. */

export class S3Failure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly s3Message: string,
    what: string,
  ) {
    super(readable(status, code, s3Message, what));
  }
}

/** What went wrong, in words, with S3's own code kept at the end for the curious. */
function readable(status: number, code: string, message: string, what: string): string {
  const tail = ` (${code || status})`;
  switch (code) {
    case 'AccessDenied':
      return `Access denied: you are not allowed to ${what}.${tail}`;
    case 'BucketNotEmpty':
      return `The bucket is not empty: delete its objects first.${tail}`;
    case 'BucketAlreadyOwnedByYou':
    case 'BucketAlreadyExists':
      return `A bucket with that name already exists.${tail}`;
    case 'InvalidBucketName':
      return `That is not a valid bucket name: use 3 to 63 lower-case letters, digits, dots and hyphens.${tail}`;
    case 'NoSuchBucket':
      return `That bucket does not exist (any more).${tail}`;
    case 'NoSuchKey':
      return `That object does not exist (any more).${tail}`;
    case 'EntityTooLarge':
      return `The file is too large for one upload.${tail}`;
    default:
      return `Could not ${what}: ${message || `the server answered ${status}`}${tail}`;
  }
}

export function objectPath(bucket: string, key = ''): string {
  const encodedKey = key.split('/').map(encodeURIComponent).join('/');
  return `/s3/${encodeURIComponent(bucket)}${key === '' ? '' : `/${encodedKey}`}`;
}

export function xmlOf(text: string): Document {
  return new DOMParser().parseFromString(text, 'application/xml');
}

function childText(el: Element | Document, name: string): string {
  return el.getElementsByTagName(name)[0]?.textContent ?? '';
}

export function failureOf(status: number, body: string, what: string): S3Failure {
  const doc = body.trim().startsWith('<') ? xmlOf(body) : undefined;
  return new S3Failure(status, doc ? childText(doc, 'Code') : '', doc ? childText(doc, 'Message') : body.slice(0, 200), what);
}

export async function s3(method: string, path: string, what: string, init: { body?: BodyInit; headers?: Record<string, string> } = {}): Promise<Response> {
  const answer = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: { ...(method === 'GET' || method === 'HEAD' ? {} : csrfHeaders()), ...init.headers },
    body: init.body ?? null,
  });
  if (answer.status === 401) throw new ApiError(401, 'SignInRequired', 'Your console session has ended. Sign in again.');
  if (!answer.ok) throw failureOf(answer.status, method === 'HEAD' ? '' : await answer.text(), what);
  return answer;
}

export interface Bucket { readonly name: string; readonly created: string }

export async function listBuckets(): Promise<Bucket[]> {
  const doc = xmlOf(await (await s3('GET', '/s3/', 'list buckets')).text());
  return [...doc.getElementsByTagName('Bucket')].map((b) => ({ name: childText(b, 'Name'), created: childText(b, 'CreationDate') }));
}

export async function createBucket(name: string): Promise<void> {
  await s3('PUT', objectPath(name), `create bucket ${name}`);
}

export async function deleteBucket(name: string): Promise<void> {
  await s3('DELETE', objectPath(name), `delete bucket ${name}`);
}

export interface ObjectEntry { readonly key: string; readonly size: number; readonly modified: string; readonly etag: string }
export interface Listing {
  readonly folders: string[];
  readonly objects: ObjectEntry[];
  readonly nextToken: string | undefined;
}

export async function listObjects(bucket: string, prefix: string, pageSize: number, token: string | undefined): Promise<Listing> {
  const query = new URLSearchParams({ 'list-type': '2', delimiter: '/', prefix, 'max-keys': String(pageSize) });
  if (token) query.set('continuation-token', token);
  const doc = xmlOf(await (await s3('GET', `${objectPath(bucket)}?${query.toString()}`, `list ${bucket}/${prefix}`)).text());
  const truncated = childText(doc, 'IsTruncated') === 'true';
  return {
    folders: [...doc.getElementsByTagName('CommonPrefixes')].map((p) => childText(p, 'Prefix')),
    objects: [...doc.getElementsByTagName('Contents')].map((c) => ({ key: childText(c, 'Key'), size: Number(childText(c, 'Size')), modified: childText(c, 'LastModified'), etag: childText(c, 'ETag') })),
    nextToken: truncated ? childText(doc, 'NextContinuationToken') || undefined : undefined,
  };
}

export async function headObject(bucket: string, key: string): Promise<Headers> {
  return (await s3('HEAD', objectPath(bucket, key), `read ${bucket}/${key}`)).headers;
}

export async function deleteObject(bucket: string, key: string): Promise<void> {
  await s3('DELETE', objectPath(bucket, key), `delete ${bucket}/${key}`);
}

/** One DeleteObjects call for up to 1000 keys; answers the keys S3 could not delete, with why. */
export async function deleteObjects(bucket: string, keys: readonly string[]): Promise<{ key: string; reason: string }[]> {
  const body = `<Delete><Quiet>true</Quiet>${keys.map((key) => `<Object><Key>${escapeXmlText(key)}</Key></Object>`).join('')}</Delete>`;
  // S3 requires a digest of a multi-delete's body; SHA-256 is the one WebCrypto has.
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(body)));
  const checksum = btoa(String.fromCharCode(...digest));
  const answer = await s3('POST', `${objectPath(bucket)}?delete`, `delete ${keys.length} objects from ${bucket}`, { body, headers: { 'content-type': 'application/xml', 'x-amz-checksum-sha256': checksum } });
  const doc = xmlOf(await answer.text());
  return [...doc.getElementsByTagName('Error')].map((e) => ({ key: childText(e, 'Key'), reason: `${childText(e, 'Message')} (${childText(e, 'Code')})` }));
}

/** A zero-byte object named "prefix/": how S3 consoles make an empty folder appear. */
export async function createFolder(bucket: string, prefix: string): Promise<void> {
  await s3('PUT', objectPath(bucket, prefix), `create the folder ${bucket}/${prefix}`, { headers: { 'content-type': 'application/x-directory' } });
}

export function escapeXmlText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export interface ObjectVersion {
  readonly versionId: string;
  readonly latest: boolean;
  readonly deleteMarker: boolean;
  readonly size: number;
  readonly modified: string;
}

/** Every version and delete marker of one key, newest first (one key's versions sort together, newest first). */
export async function listVersions(bucket: string, key: string): Promise<ObjectVersion[]> {
  const found: ObjectVersion[] = [];
  let markers: { key: string; version: string } | undefined;
  for (let page = 0; page < 50; page++) {
    const query = new URLSearchParams({ versions: '', prefix: key, 'max-keys': '1000' });
    if (markers) {
      query.set('key-marker', markers.key);
      query.set('version-id-marker', markers.version);
    }
    const doc = xmlOf(await (await s3('GET', `${objectPath(bucket)}?${query.toString()}`, `list the versions of ${bucket}/${key}`)).text());
    const root = doc.documentElement;
    for (const el of [...root.children]) {
      if ((el.tagName !== 'Version' && el.tagName !== 'DeleteMarker') || childText(el, 'Key') !== key) continue;
      found.push({
        versionId: childText(el, 'VersionId'), latest: childText(el, 'IsLatest') === 'true', deleteMarker: el.tagName === 'DeleteMarker',
        size: Number(childText(el, 'Size') || 0), modified: childText(el, 'LastModified'),
      });
    }
    const nextKey = childText(doc, 'NextKeyMarker');
    if (childText(doc, 'IsTruncated') !== 'true' || nextKey !== key) break;
    markers = { key: nextKey, version: childText(doc, 'NextVersionIdMarker') };
  }
  return found.sort((a, b) => Number(b.latest) - Number(a.latest) || b.modified.localeCompare(a.modified));
}

export function versionPath(bucket: string, key: string, versionId: string): string {
  return `${objectPath(bucket, key)}?versionId=${encodeURIComponent(versionId)}`;
}

/** Makes an older version current again: copied over the key, as a new version (the older one stays). */
export async function restoreVersion(bucket: string, key: string, versionId: string): Promise<void> {
  const source = `/${encodeURIComponent(bucket)}/${key.split('/').map(encodeURIComponent).join('/')}?versionId=${encodeURIComponent(versionId)}`;
  await s3('PUT', objectPath(bucket, key), `restore a version of ${bucket}/${key}`, { headers: { 'x-amz-copy-source': source } });
}

export async function deleteVersion(bucket: string, key: string, versionId: string): Promise<void> {
  await s3('DELETE', versionPath(bucket, key, versionId), `delete a version of ${bucket}/${key}`);
}
