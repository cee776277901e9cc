import { createChecksum, type ChecksumAlgorithm } from '../../src/checksums.js';

/** The base64 checksum of whole bytes, as a client computes it before sending them. */
export async function computeChecksum(algorithm: ChecksumAlgorithm, bytes: Uint8Array): Promise<string> {
  const checksum = createChecksum(algorithm);
  checksum.update(bytes);
  return checksum.digest();
}
