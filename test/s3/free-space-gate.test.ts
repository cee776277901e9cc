import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { S3Error } from '../../src/errors.js';
import { RequestContext } from '../../src/s3/context.js';
import { FreeSpaceGate } from '../../src/s3/free-space-gate.js';

const MiB = 1024 * 1024;

/** A request as node:http hands it over (only what the gate reads), and its response. */
function put(contentLength: number): { ctx: RequestContext; end: () => void } {
  const headers = { 'content-length': String(contentLength) };
  const req = Object.assign(new EventEmitter(), { method: 'PUT', url: '/b/k', headers, rawHeaders: Object.entries(headers).flat() });
  const res = new EventEmitter();
  return { ctx: new RequestContext(req as unknown as IncomingMessage, res as unknown as ServerResponse), end: () => res.emit('close') };
}

const insufficient = (error: unknown) => error instanceof S3Error && error.code === 'InsufficientStorage' && error.status === 507;

test('bodies being received count against the free space until their response ends; deletes and reads are never refused', async () => {
  let free = 100 * MiB;
  const gate = new FreeSpaceGate(10 * MiB, () => Promise.resolve(free));
  const first = put(60 * MiB);
  await gate.admit(first.ctx, 'PutObject');
  // Alone this one would fit (100 - 40 >= 10); beside the first it would not.
  await assert.rejects(gate.admit(put(40 * MiB).ctx, 'UploadPart'), insufficient);
  await gate.admit(put(30 * MiB).ctx, 'DeleteObject');
  await gate.admit(put(30 * MiB).ctx, 'DeleteObjects');
  first.end();
  free = 40 * MiB; // the first body is now on disk
  await gate.admit(put(30 * MiB).ctx, 'PutObject');
  await assert.rejects(gate.admit(put(1).ctx, 'CreateBucket'), insufficient, 'the reserve is kept even for tiny writes');
});

test('--min-free 0 turns the check off', async () => {
  const gate = new FreeSpaceGate(0, () => Promise.resolve(0));
  await gate.admit(put(MiB).ctx, 'PutObject');
});
