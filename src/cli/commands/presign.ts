import { parseArgs } from 'node:util';
import { parseDurationSeconds } from '../../duration.js';
import { uploadPageUrl } from '../../presign/upload-page.js';
import { presignUrl, PresignInputError, type PresignMethod, type PresignUrlInput } from '../../presign/url.js';
import { MAX_PRESIGN_EXPIRES } from '../../sigv4/types.js';
import { CLIENT_OPTIONS, resolveClientConfig } from '../client-config.js';
import type { CliIO } from '../dispatch.js';
import { ApiError, CliConfigError, TransportError, UsageError } from '../errors.js';
import { formatJson } from '../output.js';
import { completeMultipart, parseEtags, parsePartCount, startMultipart } from './presign-multipart.js';

const LINK_USAGE = 'latchkey presign s3://BUCKET/KEY [--method GET|PUT|HEAD|DELETE] [--expires-in 3600|15m|12h|7d]';
const MULTIPART_USAGE = 'latchkey presign --multipart --parts N s3://BUCKET/KEY [--expires-in T] [--content-type T]';
const COMPLETE_USAGE = 'latchkey presign --complete UPLOAD_ID --etags E1,E2,... s3://BUCKET/KEY';
/** The three forms, one per line, indented to follow the first in the top-level help. */
export const PRESIGN_USAGE = [LINK_USAGE, MULTIPART_USAGE, COMPLETE_USAGE].join('\n  ');

const HELP = `${LINK_USAGE} [options]
  Print a pre-signed link to one object. It is computed locally with your
  credentials; the server is not contacted. Whoever has the link can use it,
  without credentials, until it expires (at most 7 days).

Options:
  --method M                         GET (default), PUT, HEAD or DELETE
  --expires-in T                     seconds, or 15m, 12h, 7d (default 3600; at most 7d)
  --content-type T                   PUT: the Content-Type the upload must send
  --content-disposition D            PUT: stored with the object
  --meta NAME=VALUE                  PUT: x-amz-meta-NAME the upload must send (repeatable)
  --checksum-sha256 B64              PUT: base64 SHA-256 the uploaded bytes must have
  --response-content-disposition D   GET/HEAD: override the response header (likewise
                                     --response-content-type, --response-cache-control,
                                     --response-content-language, --response-content-encoding,
                                     --response-expires)
  --max-uses N                       the link works N times at most
  --source-ip CIDR                   only clients from this address or block may use it
  --version-id ID                    GET/HEAD/DELETE: that version of the object (from
                                     list-object-versions); the link keeps reaching it
                                     when newer versions are written
  --endpoint-url URL, --region R, --profile NAME   as for the other commands
  --upload-page                      PUT: print the address of the server's upload page for
                                     this link instead, for someone with only a browser
  --json                             print method, url, the headers to send and expiresAt
                                     (and uploadPage with --upload-page)

A PUT link signed with --content-type or --meta must be used with exactly those
headers (printed on stderr, or under "headers" with --json).

${MULTIPART_USAGE} [--json]
  Start a multipart upload (signed with your credentials) and print one
  pre-signed UploadPart link per part, the upload ID and the command that
  completes it. Whoever has the links PUTs each part (every part but the last
  at least 5 MiB) and keeps the ETag header of each answer. With --json:
  {uploadId, bucket, key, parts: [{partNumber, url}], expiresAt}.
  --parts N          1 to 10000
  --expires-in T     how long the part links work (default 3600; at most 7d)
  --content-type T   stored with the object

${COMPLETE_USAGE} [--json]
  Complete the upload with the parts' ETags, in part order (quotes optional).

Exit status: 0 success, 1 the server refused (its error code is printed, e.g.
NoSuchUpload, InvalidPart), 2 usage or local configuration error.
`;

const OPTIONS = {
  ...CLIENT_OPTIONS,
  method: { type: 'string' },
  'expires-in': { type: 'string' },
  'content-type': { type: 'string' },
  'content-disposition': { type: 'string' },
  meta: { type: 'string', multiple: true },
  'checksum-sha256': { type: 'string' },
  'response-content-disposition': { type: 'string' },
  'response-content-type': { type: 'string' },
  'response-cache-control': { type: 'string' },
  'response-content-language': { type: 'string' },
  'response-content-encoding': { type: 'string' },
  'response-expires': { type: 'string' },
  'max-uses': { type: 'string' },
  'source-ip': { type: 'string' },
  'version-id': { type: 'string' },
  multipart: { type: 'boolean' },
  parts: { type: 'string' },
  complete: { type: 'string' },
  etags: { type: 'string' },
  json: { type: 'boolean' },
  'upload-page': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** "900", "90s", "15m", "12h", "7d" → seconds; longer than S3's 7 days is refused. */
export function parseExpiresIn(text: string): number {
  const seconds = parseDurationSeconds(text);
  if (seconds === undefined) throw new UsageError(`--expires-in must be seconds or a duration such as 15m, 12h or 7d; got '${text}'`);
  if (seconds < 1) throw new UsageError('--expires-in must be at least 1 second');
  if (seconds > MAX_PRESIGN_EXPIRES) {
    throw new UsageError(`--expires-in ${text} is longer than 7 days (${MAX_PRESIGN_EXPIRES} seconds), the longest a pre-signed link may live`);
  }
  return seconds;
}

export function parseS3Uri(text: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/(.+)$/s.exec(text);
  if (!m) throw new UsageError(`expected s3://BUCKET/KEY, got '${text}'`);
  return { bucket: m[1] ?? '', key: m[2] ?? '' };
}

function parseMethod(text: string | undefined): PresignMethod {
  const method = (text ?? 'GET').toUpperCase();
  if (method !== 'GET' && method !== 'PUT' && method !== 'HEAD' && method !== 'DELETE') {
    throw new UsageError(`--method must be GET, PUT, HEAD or DELETE; got '${text}'`);
  }
  return method;
}

function parseMeta(items: readonly string[] | undefined): Record<string, string> | undefined {
  if (items === undefined || items.length === 0) return undefined;
  const metadata: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`--meta takes NAME=VALUE, got '${item}'`);
    metadata[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return metadata;
}

function parseMaxUses(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,15}$/.test(text) || Number(text) < 1) throw new UsageError(`--max-uses must be a whole number of at least 1; got '${text}'`);
  return Number(text);
}

/** `latchkey presign …`: answers the exit status. */
export async function runPresign(args: readonly string[], io: CliIO): Promise<number> {
  const oneLine = (text: string) => text.replace(/\s*\n\s*/g, ' ').trim();
  try {
    return await presignCommand(args, io);
  } catch (error) {
    if (error instanceof UsageError || error instanceof CliConfigError || error instanceof PresignInputError) {
      io.stderr.write(`latchkey: ${oneLine(error.message)}\n`);
      return 2;
    }
    // Only --multipart and --complete talk to the server.
    if (error instanceof ApiError) {
      io.stderr.write(`latchkey: ${error.code} (HTTP ${error.status})${error.message ? `: ${oneLine(error.message)}` : ''}\n`);
      return 1;
    }
    if (error instanceof TransportError) {
      io.stderr.write(`latchkey: ${oneLine(error.message)}\n`);
      return 1;
    }
    throw error;
  }
}

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>['values'];

/** Options that shape a single link; none of them applies to a multipart upload. */
const LINK_ONLY = [
  'method', 'content-disposition', 'meta', 'checksum-sha256', 'response-content-disposition', 'response-content-type', 'response-cache-control',
  'response-content-language', 'response-content-encoding', 'response-expires', 'max-uses', 'source-ip', 'upload-page', 'version-id',
] as const;

function refuse(values: Values, names: readonly (keyof Values)[], mode: string): void {
  const given = names.find((name) => values[name] !== undefined);
  if (given !== undefined) throw new UsageError(`--${given} does not apply to ${mode}`);
}

async function presignCommand(args: readonly string[], io: CliIO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    const reason = error instanceof Error ? (error.message.split(/\.\s/)[0] ?? error.message) : String(error);
    throw new UsageError(`${reason}; usage: ${LINK_USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  const usage = values.multipart ? MULTIPART_USAGE : values.complete !== undefined ? COMPLETE_USAGE : LINK_USAGE;
  if (positionals.length !== 1) throw new UsageError(`${positionals.length === 0 ? 'missing s3://BUCKET/KEY' : `unexpected argument '${positionals[1]}'`}; usage: ${usage}`);
  const { bucket, key } = parseS3Uri(positionals[0] ?? '');
  if (values.multipart || values.complete !== undefined) {
    await multipartCommand(values, bucket, key, io);
    return 0;
  }
  refuse(values, ['parts', 'etags'], 'a single link; use them with --multipart or --complete');
  const method = parseMethod(values.method);
  if (values['upload-page'] && method !== 'PUT') throw new UsageError('--upload-page needs --method PUT: the page uploads a file');
  const expiresIn = parseExpiresIn(values['expires-in'] ?? '3600');
  const config = resolveClientConfig({ 'endpoint-url': values['endpoint-url'], region: values.region, profile: values.profile }, io.env);
  const input: PresignUrlInput = {
    endpoint: config.endpoint,
    bucket,
    key,
    method,
    expiresIn,
    credentials: config.credentials,
    region: config.region,
    contentType: values['content-type'],
    contentDisposition: values['content-disposition'],
    metadata: parseMeta(values.meta),
    checksumSha256: values['checksum-sha256'],
    responseContentDisposition: values['response-content-disposition'],
    responseContentType: values['response-content-type'],
    responseCacheControl: values['response-cache-control'],
    responseContentLanguage: values['response-content-language'],
    responseContentEncoding: values['response-content-encoding'],
    responseExpires: values['response-expires'],
    maxUses: parseMaxUses(values['max-uses']),
    sourceIp: values['source-ip'],
    versionId: values['version-id'],
  };
  const signed = presignUrl(input);
  const page = values['upload-page'] ? uploadPageUrl(config.endpoint, { put: signed.url, headers: signed.headers }) : undefined;
  if (values.json) {
    io.stdout.write(formatJson({ method: signed.method, url: signed.url, headers: signed.headers, expiresAt: signed.expiresAt.toISOString(), ...(page ? { uploadPage: page } : {}) }));
    return 0;
  }
  if (page !== undefined) {
    // The page sends the headers itself.
    io.stdout.write(`${page}\n`);
    return 0;
  }
  io.stdout.write(`${signed.url}\n`);
  const headers = Object.entries(signed.headers);
  if (headers.length > 0) io.stderr.write(`Send these headers with the ${method}:\n${headers.map(([name, value]) => `  ${name}: ${value}\n`).join('')}`);
  return 0;
}

async function multipartCommand(values: Values, bucket: string, key: string, io: CliIO): Promise<void> {
  if (values.multipart && values.complete !== undefined) throw new UsageError('give either --multipart (start an upload) or --complete UPLOAD_ID (finish one), not both');
  if (values.complete !== undefined) {
    refuse(values, [...LINK_ONLY, 'parts', 'expires-in', 'content-type'], '--complete');
    if (values.complete.trim() === '') throw new UsageError('--complete needs the upload ID that --multipart printed');
  } else {
    refuse(values, [...LINK_ONLY, 'etags'], '--multipart');
  }
  const etags = values.complete === undefined ? [] : parseEtags(values.etags);
  const partCount = values.multipart ? parsePartCount(values.parts) : 0;
  const expiresIn = parseExpiresIn(values['expires-in'] ?? '3600');
  const flags = { 'endpoint-url': values['endpoint-url'], region: values.region, profile: values.profile };
  const target = { bucket, key, config: resolveClientConfig(flags, io.env), flags, json: values.json === true };
  if (values.complete !== undefined) await completeMultipart({ ...target, uploadId: values.complete, etags }, io);
  else await startMultipart({ ...target, partCount, expiresIn, contentType: values['content-type'] }, io);
}
