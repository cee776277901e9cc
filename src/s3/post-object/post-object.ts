import { once } from 'node:events';
import {
  checksumAlgorithmFromHeader, checksumHeaderName, checksumMismatchMessage, createChecksum, isWellFormedChecksum, parseChecksumAlgorithm,
  type ChecksumAlgorithm,
} from '../../checksums.js';
import { S3Error } from '../../errors.js';
import type { Storage } from '../../storage/storage.js';
import type { ObjectMetadataInput, ObjectRecord } from '../../storage/types.js';
import { versionHeader } from '../operations/versions.js';
import { isOwnerOnlyAcl } from '../acl-headers.js';
import { refuseUnsupportedWriteOptions } from '../write-options.js';
import type { RequestContext } from '../context.js';
import type { S3Deps } from '../deps.js';
import { DEFAULT_CONTENT_TYPE, userMetadataOf } from '../object-headers.js';
import type { FilePart } from './form.js';
import { checkConditions, checkCoverage } from './policy.js';
import { MAX_PUT_SIZE } from '../request-body.js';
import { answerUpload } from './post-response.js';
import { operation, type Credentials } from '../operation.js';
import { permitTags } from '../operations/tagging.js';
import { tagsOfFormField } from '../tagging.js';

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
 * multipart/form-data, authorised by a signed POST policy instead of a signed
 * request. The pipeline has already read the form up to its file, verified
 * the policy's signature and expiry (claimForm), applied the link
 * controls and checked s3:PutObject on the key; what is left is the policy's
 * conditions, which only the form can be held to, and storing the file.
 */
export async function postObject(ctx: RequestContext, verified: Credentials, deps: S3Deps): Promise<void> {
  if (verified.form === undefined) throw new Error('PostObject runs only after claimForm');
  const { form, bucket, key, keyTemplate, policy, virtualHosted } = verified.form;
  const { fields, file } = form;
  // A single PUT's limit applies to a form upload too.
  let range = { min: 0, max: MAX_PUT_SIZE };
  if (policy !== undefined && verified.verified.version !== 0) {
    const allowed = checkConditions(policy, { fields, bucket, key, keyTemplate });
    checkCoverage(policy, fields);
    range = { min: allowed.min, max: Math.min(allowed.max, MAX_PUT_SIZE) };
  }
  const acl = fields.get('acl');
  if (acl !== undefined && !isOwnerOnlyAcl(acl)) throw new S3Error('AccessControlListNotSupported');
  refuseUnsupportedWriteOptions((name) => fields.get(name));
  const tags = await permitTags(ctx, verified, deps, bucket, key, tagsOfFormField(fields.get('tagging')));

  const stored = await storeFormFile(deps.storage, bucket, key, file, { ...metadataFromFields(fields), tags }, range, formChecksum(fields));
  // Let the rest of the body (the closing boundary) arrive so the connection can be reused.
  await form.done.catch(() => undefined);
  for (const [name, value] of Object.entries(await versionHeader(deps, bucket, stored.versionId))) ctx.res.setHeader(name, value);
  answerUpload(ctx, fields, { bucket, key, etag: stored.etag, virtualHosted });
}

/** The object's metadata from the form's fields, as a PUT's would come from its headers. */
export function metadataFromFields(fields: ReadonlyMap<string, string>): ObjectMetadataInput {
  const system: Record<string, string> = {};
  for (const [field, property] of Object.entries(SYSTEM_FIELDS)) {
    const value = fields.get(field);
    if (value !== undefined) system[property] = value;
  }
  const userMetadata = userMetadataOf(fields.keys(), (name) => fields.get(name) ?? '');
  return { contentType: DEFAULT_CONTENT_TYPE, ...system, userMetadata };
}

/**
 * An x-amz-checksum-<algorithm> field (or x-amz-checksum-algorithm naming
 * one): the file is held to it, or it is computed, and stored as a PUT's would be.
 */
export function formChecksum(fields: ReadonlyMap<string, string>): FormChecksum | undefined {
  const given = [...fields.keys()].filter((name) => checksumAlgorithmFromHeader(name) !== undefined);
  if (given.length > 1) throw new S3Error('InvalidRequest', 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.');
  const [name] = given;
  if (name !== undefined) {
    const algorithm = checksumAlgorithmFromHeader(name) as ChecksumAlgorithm;
    const expected = fields.get(name) ?? '';
    if (!isWellFormedChecksum(algorithm, expected)) throw new S3Error('InvalidRequest', `Value for ${checksumHeaderName(algorithm)} header is invalid.`);
    return { algorithm, expected };
  }
  const named = fields.get('x-amz-checksum-algorithm');
  if (named === undefined) return undefined;
  const algorithm = parseChecksumAlgorithm(named);
  if (algorithm === undefined) throw new S3Error('InvalidRequest', 'Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]');
  return { algorithm, expected: undefined };
}

export interface FormChecksum {
  readonly algorithm: ChecksumAlgorithm;
  readonly expected: string | undefined;
}

/**
 * Streams the file part into storage. The size range is enforced while the
 * bytes pass (too large) and before the blob is committed (too small), so a
 * refused upload leaves nothing behind. When too large, the rest of the part
 * is read and dropped to report its real size, as S3 does.
 */
export async function storeFormFile(
  storage: Storage, bucket: string, key: string, file: FilePart, meta: ObjectMetadataInput, range: { min: number; max: number },
  checksum: FormChecksum | undefined,
): Promise<ObjectRecord> {
  let seen = 0;
  // Not destroyed when storage stops early, so the rest can still be drained and counted.
  async function* counted(): AsyncGenerator<Buffer> {
    for await (const chunk of file.stream.iterator({ destroyOnReturn: false })) {
      seen += (chunk as Buffer).length;
      yield chunk as Buffer;
    }
  }
  try {
    const checksums = checksum === undefined ? {} : { [checksum.algorithm]: createChecksum(checksum.algorithm) };
    const { object } = await storage.putObject(bucket, key, counted(), (written) => ({ ...meta, checksums: written.checksums }), {
      maxSize: range.max,
      checksums,
      verify: (written) => {
        if (written.size < range.min) {
          throw new S3Error('EntityTooSmall', undefined, { ProposedSize: String(written.size), MinSizeAllowed: String(range.min) });
        }
        if (checksum?.expected !== undefined && written.checksums[checksum.algorithm] !== checksum.expected) {
          throw new S3Error('BadDigest', checksumMismatchMessage(checksum.algorithm));
        }
      },
    });
    return object;
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

/** The operations of this family, declared once: the router, the permission check and the free-space gate read these. */
export const POST_OBJECT_OPERATIONS = {
  // A browser form upload: the key is a form field, known once the form is read; the target is the bucket.
  PostObject: operation({ method: 'POST', target: 'bucket', credentials: 'form', permissions: [{ action: 's3:PutObject', resource: 'object' }], space: 'stores', run: postObject }),
};
