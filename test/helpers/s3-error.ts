import assert from 'node:assert/strict';
import { S3Error } from '../../src/errors.js';

/** The S3Error a synchronous check throws; fails the test if it throws anything else or nothing. */
export function s3Error(run: () => unknown): S3Error {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof S3Error, String(error));
    return error;
  }
  assert.fail('accepted');
}
