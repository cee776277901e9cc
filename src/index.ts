/**
 * The `latchkey` package as a library: sign links and browser upload forms
 * for a Latchkey (or any S3) server without an AWS SDK.
 *
 *   import { presignUrl, presignPost } from 'latchkey';
 */
export * from './presign/index.js';
export type { Credentials } from './sigv4/types.js';
