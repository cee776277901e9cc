import { once } from 'node:events';
import { S3Error } from '../../errors.js';
import { objectArn } from '../../iam/index.js';
import type { Logger } from '../../server/logger.js';
import type { Storage } from '../../storage/storage.js';
import type { ObjectMetadataInput } from '../../storage/types.js';
import { isOwnerOnlyAcl } from '../acl-headers.js';
import { refuseUnsupportedWriteOptions } from '../write-options.js';
import { resolveAddress, type Address } from '../addressing.js';
import type { AuthDeps } from '../auth.js';
import type { Authorizer } from '../authorize.js';
import type { RequestContext } from '../context.js';
import { addCorsHeaders, type CorsSource } from '../cors.js';
import { sendError, type Extension } from '../handler.js';
import type { FreeSpaceGate } from '../free-space-gate.js';
import { DEFAULT_CONTENT_TYPE } from '../object-headers.js';
import { readPostForm, type FilePart } from './form.js';
import { checkConditions, checkCoverage, checkExpiration, parsePostPolicy } from './policy.js';
import { authenticatePost, missingField } from './post-auth.js';
import { answerUpload } from './post-response.js';

export interface PostObjectDeps {
  readonly logger: Logger;
  readonly auth: AuthDeps;
  readonly authorizer: Authorizer;
  readonly storage: Storage;
  readonly domain: string | undefined;
  readonly cors?: CorsSource | undefined;
  readonly space?: FreeSpaceGate | undefined;
}

/** A single PUT's limit applies to a form upload too. */
const MAX_OBJECT_SIZE = 5 * 1024 ** 3;
const MAX_USER_METADATA_BYTES = 2048;
const USER_METADATA_PREFIX = 'x-amz-meta-';
/** Form fields stored as the object's HTTP metadata, as a PUT's headers would be. */
const SYSTEM_FIELDS = {
  'content-type': 'contentType',
  'cache-control': 'cacheControl',
  'content-disposition': 'contentDisposition',
  'content-encoding': 'contentEncoding',
  'content-language': 'contentLanguage',
  expires: 'expires',
} as const;

/**
 * Browser form uploads (S3's POST Object): `POST /{bucket}` with
 * multipart/form-data, authorised by a signed POST policy instead of a
 * signed request. Claims POST to a bucket without a query (DeleteObjects and
 * the multipart calls carry one).
 */
export function postObjectApi(deps: PostObjectDeps): Extension {
  return {
    matches: (ctx) => ctx.method === 'POST' && ctx.rawQuery === '' && bucketOnly(ctx, deps.domain) !== undefined,
    handle: (ctx) => handlePostObject(ctx, deps).catch((error: unknown) => sendError(ctx, error, deps.logger)),
  };
}

function bucketOnly(ctx: RequestContext, domain: string | undefined): Address | undefined {
  try {
    const address = resolveAddress(ctx.header('host'), ctx.wirePath, domain);
    return address.bucket !== undefined && address.key === undefined ? address : undefined;
  } catch {
    return undefined;
  }
}

async function handlePostObject(ctx: RequestContext, deps: PostObjectDeps): Promise<void> {
  ctx.operation = 'PostObject';
  const address = bucketOnly(ctx, deps.domain);
  const bucket = address?.bucket ?? '';
  ctx.bucket = bucket;
  if (deps.cors) await addCorsHeaders(ctx, deps.cors);
  const contentType = ctx.header('content-type') ?? '';
  if (!/^multipart\/form-data\s*(;|$)/i.test(contentType)) throw new S3Error('RequestIsNotMultiPartContent');

  // Before any of the body: the form's length bounds the file's.
  await deps.space?.admit(ctx, 'PutObject');
  // The policy and signature are in the body itself, so the body is wanted whatever it says.
  if (ctx.header('expect')?.toLowerCase() === '100-continue') ctx.res.writeContinue();
  const form = await readPostForm(ctx.req, contentType);
  const { fields, file } = form;
  const keyTemplate = fields.get('key');
  if (keyTemplate === undefined) throw missingField('key');
  if (file === undefined) throw new S3Error('InvalidArgument', 'POST requires exactly one file upload per request.', { ArgumentName: 'file', ArgumentValue: '0' });
  const key = keyTemplate.replaceAll('${filename}', file.filename);
  if (key === '') throw new S3Error('InvalidArgument', 'User key must have a length greater than 0.', { ArgumentName: 'key', ArgumentValue: '' });
  ctx.key = key;

  const verified = await authenticatePost(ctx, fields, deps.auth);
  let range = { min: 0, max: MAX_OBJECT_SIZE };
  const policyText = fields.get('policy');
  if (policyText !== undefined && verified.version !== 0) {
    const policy = parsePostPolicy(policyText);
    checkExpiration(policy, deps.auth.now());
    const allowed = checkConditions(policy, { fields, bucket, key, keyTemplate });
    checkCoverage(policy, fields);
    range = { min: allowed.min, max: Math.min(allowed.max, MAX_OBJECT_SIZE) };
  }
  const acl = fields.get('acl');
  if (acl !== undefined && !isOwnerOnlyAcl(acl)) throw new S3Error('AccessControlListNotSupported');
  refuseUnsupportedWriteOptions((name) => fields.get(name));
  await deps.authorizer.check(ctx, verified, 's3:PutObject', objectArn(bucket, key), bucket);

  const etag = await store(deps.storage, bucket, key, file, metadataFromFields(fields), range);
  // Let the rest of the body (the closing boundary) arrive so the connection can be reused.
  await form.done.catch(() => undefined);
  answerUpload(ctx, fields, { bucket, key, etag, virtualHosted: address?.style === 'virtual-hosted' });
}

function metadataFromFields(fields: ReadonlyMap<string, string>): ObjectMetadataInput {
  const system: Record<string, string> = {};
  for (const [field, property] of Object.entries(SYSTEM_FIELDS)) {
    const value = fields.get(field);
    if (value !== undefined) system[property] = value;
  }
  const userMetadata: Record<string, string> = {};
  let bytes = 0;
  for (const [name, value] of fields) {
    if (!name.startsWith(USER_METADATA_PREFIX)) continue;
    const short = name.slice(USER_METADATA_PREFIX.length);
    userMetadata[short] = value;
    bytes += Buffer.byteLength(short) + Buffer.byteLength(value);
  }
  if (bytes > MAX_USER_METADATA_BYTES) throw new S3Error('MetadataTooLarge', undefined, { Size: String(bytes), MaxSizeAllowed: String(MAX_USER_METADATA_BYTES) });
  return { contentType: DEFAULT_CONTENT_TYPE, ...system, userMetadata };
}

/**
 * Streams the file part into storage. The size range is enforced while the
 * bytes pass (too large) and before the blob is committed (too small), so a
 * refused upload leaves nothing behind. When too large, the rest of the part
 * is read and dropped to report its real size, as S3 does.
 */
async function store(storage: Storage, bucket: string, key: string, file: FilePart, meta: ObjectMetadataInput, range: { min: number; max: number }): Promise<string> {
  let seen = 0;
  // Not destroyed when storage stops early, so the rest can still be drained and counted.
  async function* counted(): AsyncGenerator<Buffer> {
    for await (const chunk of file.stream.iterator({ destroyOnReturn: false })) {
      seen += (chunk as Buffer).length;
      yield chunk as Buffer;
    }
  }
  try {
    const { object } = await storage.putObject(bucket, key, counted(), meta, {
      maxSize: range.max,
      verify: (written) => {
        if (written.size < range.min) {
          throw new S3Error('EntityTooSmall', undefined, { ProposedSize: String(written.size), MinSizeAllowed: String(range.min) });
        }
      },
    });
    return object.etag;
  } catch (error) {
    if (error instanceof S3Error && error.code === 'EntityTooLarge') {
      if (!file.stream.readableEnded && !file.stream.destroyed) {
        file.stream.on('data', (chunk: Buffer) => {
          seen += chunk.length;
        });
        await once(file.stream, 'end').catch(() => undefined);
      }
      throw new S3Error('EntityTooLarge', undefined, { ProposedSize: String(seen), MaxSizeAllowed: String(range.max) });
    }
    // The body ended inside the file part (no closing boundary): the parser failed the file stream.
    if (!(error instanceof S3Error) && file.stream.errored !== null) throw new S3Error('MalformedPOSTRequest');
    throw error;
  }
}
