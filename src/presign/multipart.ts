import { escapeXml, xmlElementText } from '../xml-text.js';
import { nodeCrypto } from '../sigv4/node-crypto.js';
import { presign, signRequest } from '../sigv4/sign.js';
import type { Credentials, CryptoProvider } from '../sigv4/types.js';
import { uriEncode } from '../sigv4/uri-encode.js';

/**
 * Multipart uploads through pre-signed URLs, without an S3 client: the app
 * server (which holds the credentials) starts the upload, hands the browser
 * or device one pre-signed PUT URL per part, and completes the upload with
 * the ETags the part PUTs returned. Only the app server ever signs.
 *
 *   const upload = await startPresignedMultipartUpload({ endpoint, bucket, key, partCount: 3, credentials, region, expiresIn: 3600 });
 *   // client: fetch(upload.parts[i].url, { method: 'PUT', body }) → response header ETag
 *   await upload.complete(etags);      // or upload.abort()
 */
export interface PresignedMultipartInput {
  /** Origin of the S3 endpoint (path-style addressing), e.g. http://127.0.0.1:9000. */
  readonly endpoint: string;
  readonly bucket: string;
  readonly key: string;
  /** 1..10000; every part but the last must be at least 5 MiB. */
  readonly partCount: number;
  readonly credentials: Credentials;
  readonly region: string;
  /** Lifetime of each part URL, in seconds (1..604800). */
  readonly expiresIn: number;
  /** Stored with the object (CreateMultipartUpload's Content-Type). */
  readonly contentType?: string | undefined;
  readonly now?: (() => number) | undefined;
  readonly crypto?: CryptoProvider | undefined;
  readonly fetch?: typeof fetch | undefined;
}

export interface PresignedPart {
  readonly partNumber: number;
  /** PUT the part's bytes here; the response's ETag header is what complete() needs. */
  readonly url: string;
}

export interface CompletedUpload {
  /** The object's ETag, with quotes (`"<hex>-<parts>"`). */
  readonly etag: string;
  readonly location: string | undefined;
}

export interface PresignedMultipartUpload {
  readonly uploadId: string;
  readonly parts: readonly PresignedPart[];
  /** Completes with the parts' ETags, in part-number order (index 0 is part 1). */
  complete(etags: readonly string[]): Promise<CompletedUpload>;
  abort(): Promise<void>;
}

/** An S3 error answer to one of the signed calls. */
export class MultipartRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    body: string,
  ) {
    super(`S3 answered ${status}${code ? ` ${code}` : ''}: ${body.slice(0, 500)}`);
    this.name = 'MultipartRequestError';
  }
}

const MAX_PARTS = 10_000;

/** Starts the upload (a signed CreateMultipartUpload) and pre-signs one UploadPart URL per part. */
export async function startPresignedMultipartUpload(input: PresignedMultipartInput): Promise<PresignedMultipartUpload> {
  if (!Number.isInteger(input.partCount) || input.partCount < 1 || input.partCount > MAX_PARTS) {
    throw new RangeError(`partCount must be a whole number from 1 to ${MAX_PARTS}; got ${input.partCount}`);
  }
  const created = await send(input, 'POST', 'uploads', '', input.contentType === undefined ? {} : { 'content-type': input.contentType });
  const uploadId = xmlElementText(created, 'UploadId');
  if (uploadId === undefined) throw new MultipartRequestError(200, undefined, created);
  const parts = presignParts(input, uploadId);
  return {
    uploadId,
    parts,
    complete: (etags) => completePresignedUpload(input, uploadId, etags),
    abort: async () => {
      await send(input, 'DELETE', `uploadId=${uriEncode(uploadId)}`, '');
    },
  };
}

/** One pre-signed UploadPart URL per part of an existing upload (say, to renew expired ones). */
export function presignParts(input: PresignedMultipartInput, uploadId: string): PresignedPart[] {
  const now = (input.now ?? Date.now)();
  return Array.from({ length: input.partCount }, (_, i) => ({
    partNumber: i + 1,
    url: presign({
      method: 'PUT',
      url: `${objectUrl(input)}?partNumber=${i + 1}&uploadId=${uriEncode(uploadId)}`,
      credentials: input.credentials,
      region: input.region,
      now,
      crypto: input.crypto ?? nodeCrypto,
      expiresIn: input.expiresIn,
    }).url,
  }));
}

/** CompleteMultipartUpload, signed with the app server's credentials. */
export async function completePresignedUpload(input: PresignedMultipartInput, uploadId: string, etags: readonly string[]): Promise<CompletedUpload> {
  const body = completeRequestXml(etags);
  const answer = await send(input, 'POST', `uploadId=${uriEncode(uploadId)}`, body, { 'content-type': 'application/xml' });
  const etag = xmlElementText(answer, 'ETag');
  if (etag === undefined) throw new MultipartRequestError(200, xmlElementText(answer, 'Code'), answer);
  return { etag, location: xmlElementText(answer, 'Location') };
}

/** The CompleteMultipartUpload body for parts 1..n. */
export function completeRequestXml(etags: readonly string[]): string {
  const parts = etags.map((etag, i) => {
    const quoted = etag.startsWith('"') ? etag : `"${etag}"`;
    return `<Part><PartNumber>${i + 1}</PartNumber><ETag>${escapeXml(quoted)}</ETag></Part>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${parts.join('')}</CompleteMultipartUpload>`;
}

function objectUrl(input: PresignedMultipartInput): string {
  return `${input.endpoint.replace(/\/+$/, '')}/${uriEncode(input.bucket)}/${uriEncode(input.key, true)}`;
}

async function send(input: PresignedMultipartInput, method: string, query: string, body: string, headers: Record<string, string> = {}): Promise<string> {
  const crypto = input.crypto ?? nodeCrypto;
  const url = `${objectUrl(input)}?${query}`;
  const signed = signRequest({
    method,
    url,
    headers,
    credentials: input.credentials,
    region: input.region,
    now: (input.now ?? Date.now)(),
    crypto,
    payloadHash: crypto.sha256Hex(body),
  });
  // fetch derives Host from the URL, exactly as it was signed.
  const { host: _host, ...sendHeaders } = signed.headers;
  const response = await (input.fetch ?? fetch)(url, { method, headers: sendHeaders, ...(body === '' ? {} : { body }) });
  const text = await response.text();
  if (!response.ok) throw new MultipartRequestError(response.status, xmlElementText(text, 'Code'), text);
  return text;
}

