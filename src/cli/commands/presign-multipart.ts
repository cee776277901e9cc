import { s3ErrorAnswer, xmlElementText } from '../../xml-text.js';
import { completeRequestXml, presignParts } from '../../presign/multipart.js';
import { uriEncode } from '../../sigv4/uri-encode.js';
import { LatchkeyClient } from '../admin-client.js';
import type { ClientConfig, ClientFlags } from '../client-config.js';
import { ApiError, TransportError, UsageError } from '../errors.js';
import { formatJson, type OutputStreams } from '../output.js';

/**
 * `latchkey presign --multipart` and `--complete`: a multipart upload done
 * by someone without credentials through one pre-signed UploadPart URL per
 * part. Starting and completing are S3 calls signed with the caller's own
 * credentials; only the part URLs are handed out.
 */

const MAX_PARTS = 10_000;

export function parsePartCount(text: string | undefined): number {
  if (text === undefined) throw new UsageError('--multipart needs --parts N, the number of parts (1 to 10000)');
  const count = /^\d{1,6}$/.test(text) ? Number(text) : NaN;
  if (!(count >= 1 && count <= MAX_PARTS)) throw new UsageError(`--parts must be a whole number from 1 to ${MAX_PARTS}, as in S3; got '${text}'`);
  return count;
}

/** "E1,E2,…" in part order; each with or without its double quotes. */
export function parseEtags(text: string | undefined): string[] {
  if (text === undefined) throw new UsageError('--complete needs --etags E1,E2,… (the ETag each part upload answered, in part order)');
  const etags = text.split(',').map((etag) => etag.trim());
  if (etags.some((etag) => etag === '' || etag === '""')) throw new UsageError(`--etags has an empty entry: '${text}'`);
  if (etags.length > MAX_PARTS) throw new UsageError(`--etags lists ${etags.length} parts; an upload has at most ${MAX_PARTS}`);
  return etags;
}

export interface MultipartTarget {
  readonly bucket: string;
  readonly key: string;
  readonly config: ClientConfig;
  /** The connection flags as given, replayed in the completion hint. */
  readonly flags: ClientFlags;
  readonly json: boolean;
}

export interface StartInput extends MultipartTarget {
  readonly partCount: number;
  readonly expiresIn: number;
  readonly contentType: string | undefined;
}

function objectPath(bucket: string, key: string): string {
  return `/${uriEncode(bucket)}/${uriEncode(key, true)}`;
}

/** A 200 whose body is an <Error> (S3 may answer CompleteMultipartUpload so) is still a refusal. */
function answerText(status: number, body: Buffer): string {
  const text = body.toString('utf8');
  const error = s3ErrorAnswer(text);
  if (error !== undefined) throw new ApiError(status, error.code, error.message);
  return text;
}

/** Quoted for a POSIX shell when it holds anything beyond plain word characters. */
function shellWord(text: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

function completionHint(uploadId: string, input: StartInput): string {
  const names = input.partCount <= 5 ? Array.from({ length: input.partCount }, (_, i) => `ETAG${i + 1}`) : ['ETAG1', 'ETAG2', '…', `ETAG${input.partCount}`];
  const connection = (['endpoint-url', 'region', 'profile'] as const).flatMap((flag) => {
    const value = input.flags[flag];
    return value === undefined ? [] : [`--${flag}`, shellWord(value)];
  });
  const words = ['latchkey', 'presign', '--complete', shellWord(uploadId), '--etags', names.join(','), shellWord(`s3://${input.bucket}/${input.key}`), ...connection];
  return words.join(' ');
}

/** CreateMultipartUpload, then one pre-signed UploadPart URL per part; prints them with the way to finish. */
export async function startMultipart(input: StartInput, io: OutputStreams): Promise<void> {
  const client = new LatchkeyClient(input.config);
  const headers = input.contentType === undefined ? undefined : { 'content-type': input.contentType };
  const created = await client.send({ method: 'POST', path: objectPath(input.bucket, input.key), query: 'uploads', ...(headers ? { headers } : {}) });
  const uploadId = xmlElementText(answerText(created.status, created.body), 'UploadId');
  if (uploadId === undefined) throw new TransportError(`the server answered CreateMultipartUpload ${created.status} without an UploadId`);
  // One signing time for every part, so expiresAt is exact for all of them.
  const now = Date.now();
  const parts = presignParts(
    {
      endpoint: input.config.endpoint,
      bucket: input.bucket,
      key: input.key,
      partCount: input.partCount,
      credentials: input.config.credentials,
      region: input.config.region,
      expiresIn: input.expiresIn,
      now: () => now,
    },
    uploadId,
  );
  const expiresAt = new Date(now - (now % 1000) + input.expiresIn * 1000).toISOString();
  if (input.json) {
    io.stdout.write(formatJson({ uploadId, bucket: input.bucket, key: input.key, parts, expiresAt }));
    return;
  }
  io.stdout.write(
    `Upload ID: ${uploadId}\n` +
      parts.map((part) => `Part ${part.partNumber}: ${part.url}\n`).join('') +
      `The links work until ${expiresAt}. PUT each part's bytes to its link (every part but the last at least 5 MiB)\n` +
      `and keep the ETag header each answer carries; then complete the upload:\n` +
      `  ${completionHint(uploadId, input)}\n`,
  );
}

/** CompleteMultipartUpload with the parts' ETags, signed with the caller's credentials. */
export async function completeMultipart(input: MultipartTarget & { uploadId: string; etags: readonly string[] }, io: OutputStreams): Promise<void> {
  const client = new LatchkeyClient(input.config);
  const answer = await client.send({
    method: 'POST',
    path: objectPath(input.bucket, input.key),
    query: `uploadId=${uriEncode(input.uploadId)}`,
    body: Buffer.from(completeRequestXml(input.etags)),
    headers: { 'content-type': 'application/xml' },
  });
  const text = answerText(answer.status, answer.body);
  const etag = xmlElementText(text, 'ETag');
  if (etag === undefined) throw new TransportError(`the server answered CompleteMultipartUpload ${answer.status} without an ETag`);
  const location = xmlElementText(text, 'Location') ?? null;
  if (input.json) {
    io.stdout.write(formatJson({ bucket: input.bucket, key: input.key, etag, location }));
    return;
  }
  io.stdout.write(`Completed s3://${input.bucket}/${input.key} from ${input.etags.length} part${input.etags.length === 1 ? '' : 's'}: ETag ${etag}\n`);
}
