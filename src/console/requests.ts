import { ConsoleError, stringField } from './http.js';
import type { ShareRequest, UploadLinkRequest } from './link-issuer.js';
import { isWellFormedVersionId } from '../version-id.js';
import { MAX_KEY_BYTES } from '../storage/object-key.js';

function bucketAndKey(body: Record<string, unknown>, keyName = 'key'): { bucket: string; key: string } {
  const bucket = stringField(body, 'bucket') ?? '';
  const key = stringField(body, keyName) ?? '';
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw new ConsoleError(400, 'InvalidInput', `Object keys are at most ${MAX_KEY_BYTES} bytes.`);
  return { bucket, key };
}

function expiresIn(body: Record<string, unknown>): number {
  const value = body['expiresIn'];
  if (typeof value !== 'number') throw new ConsoleError(400, 'InvalidExpiry', 'Choose how long the link works.');
  return value;
}

export function readShareRequest(body: Record<string, unknown>): ShareRequest {
  const downloadName = stringField(body, 'downloadName', false);
  if (downloadName !== undefined && (downloadName.length > 255 || /[\x00-\x1f\x7f/\\]/.test(downloadName))) {
    throw new ConsoleError(400, 'InvalidInput', 'A download name is at most 255 characters, without slashes or control characters.');
  }
  const versionId = stringField(body, 'versionId', false);
  if (versionId !== undefined && !isWellFormedVersionId(versionId)) throw new ConsoleError(400, 'InvalidInput', 'That is not a version id of this server.');
  return { ...bucketAndKey(body), expiresIn: expiresIn(body), oneTime: body['oneTime'] === true, downloadName, versionId };
}

export function readUploadLinkRequest(body: Record<string, unknown>): UploadLinkRequest {
  const prefix = body['prefix'] === true;
  const { bucket, key } = prefix ? { bucket: stringField(body, 'bucket') ?? '', key: typeof body['key'] === 'string' ? body['key'] : '' } : bucketAndKey(body);
  const contentType = stringField(body, 'contentType', false);
  if (contentType !== undefined && !/^[\w.+-]+\/[\w.+-]+(\s*;.*)?$/.test(contentType)) throw new ConsoleError(400, 'InvalidInput', 'The content type must look like type/subtype, e.g. image/png.');
  const maxSize = body['maxSize'];
  if (maxSize !== undefined && maxSize !== null && (typeof maxSize !== 'number' || !Number.isSafeInteger(maxSize) || maxSize < 1)) {
    throw new ConsoleError(400, 'InvalidInput', 'The size limit must be a whole number of bytes, at least 1.');
  }
  return { bucket, key, prefix, expiresIn: expiresIn(body), contentType, maxSize: typeof maxSize === 'number' ? maxSize : undefined };
}
