import { createHash, type Hash } from 'node:crypto';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { Crc64Nvme } from '@aws-sdk/crc64-nvme';

/**
 * The S3 "additional checksums": streaming computers that print their digest
 * the way S3 does in x-amz-checksum-<alg> (base64 of the big-endian value),
 * and the parsers for the names clients send them under.
 */
export type ChecksumAlgorithm = 'CRC32' | 'CRC32C' | 'CRC64NVME' | 'SHA1' | 'SHA256' | 'SHA512' | 'MD5';

export const CHECKSUM_ALGORITHMS: readonly ChecksumAlgorithm[] = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256', 'SHA512', 'MD5'];

const DIGEST_BYTES: Readonly<Record<ChecksumAlgorithm, number>> = {
  CRC32: 4,
  CRC32C: 4,
  CRC64NVME: 8,
  SHA1: 20,
  SHA256: 32,
  SHA512: 64,
  MD5: 16,
};

const HEADER_PREFIX = 'x-amz-checksum-';

export interface StreamingChecksum {
  readonly algorithm: ChecksumAlgorithm;
  update(bytes: Uint8Array): void;
  /** The raw digest (CRCs big-endian). Call once. */
  digestBytes(): Promise<Uint8Array>;
  /** Base64 of digestBytes(), as S3 prints it. Call once. */
  digest(): Promise<string>;
}

/** The value of x-amz-sdk-checksum-algorithm (or a ChecksumAlgorithm field), case-insensitive. */
export function parseChecksumAlgorithm(value: string): ChecksumAlgorithm | undefined {
  const upper = value.trim().toUpperCase();
  return (CHECKSUM_ALGORITHMS as readonly string[]).includes(upper) ? (upper as ChecksumAlgorithm) : undefined;
}

/**
 * 'x-amz-checksum-crc32' (a header or trailer name, or an x-amz-trailer value) to 'CRC32'.
 * The non-checksum x-amz-checksum-type / -mode / -algorithm headers give undefined.
 */
export function checksumAlgorithmFromHeader(name: string): ChecksumAlgorithm | undefined {
  const lower = name.trim().toLowerCase();
  if (!lower.startsWith(HEADER_PREFIX)) return undefined;
  return parseChecksumAlgorithm(lower.slice(HEADER_PREFIX.length));
}

export function checksumHeaderName(algorithm: ChecksumAlgorithm): string {
  return HEADER_PREFIX + algorithm.toLowerCase();
}

/** Canonical base64 of exactly the digest's length; anything else can never match. */
export function isWellFormedChecksum(algorithm: ChecksumAlgorithm, value: string): boolean {
  const bytes = Buffer.from(value, 'base64');
  return bytes.length === DIGEST_BYTES[algorithm] && bytes.toString('base64') === value;
}

/** The message AWS puts in BadDigest when a supplied checksum does not match the body. */
export function checksumMismatchMessage(algorithm: ChecksumAlgorithm): string {
  return `The ${algorithm} you specified did not match the calculated checksum.`;
}

export function createChecksum(algorithm: ChecksumAlgorithm): StreamingChecksum {
  switch (algorithm) {
    case 'CRC32':
      return crcChecksum(algorithm, zlibCrc32);
    case 'CRC32C':
      return crcChecksum(algorithm, crc32c);
    case 'CRC64NVME':
      return crc64NvmeChecksum();
    case 'SHA1':
    case 'SHA256':
    case 'SHA512':
    case 'MD5':
      return hashChecksum(algorithm, createHash(algorithm === 'MD5' ? 'md5' : algorithm.replace('SHA', 'sha')));
  }
}

/** A checksum computer for a trailer or header name, undefined for names S3 does not know. */
export function createChecksumForHeader(name: string): StreamingChecksum | undefined {
  const algorithm = checksumAlgorithmFromHeader(name);
  return algorithm === undefined ? undefined : createChecksum(algorithm);
}

function withBase64(algorithm: ChecksumAlgorithm, update: (bytes: Uint8Array) => void, digestBytes: () => Promise<Uint8Array>): StreamingChecksum {
  return {
    algorithm,
    update,
    digestBytes,
    digest: async () => Buffer.from(await digestBytes()).toString('base64'),
  };
}

function crcChecksum(algorithm: ChecksumAlgorithm, step: (data: Uint8Array, previous: number) => number): StreamingChecksum {
  let value = 0;
  return withBase64(
    algorithm,
    (bytes) => {
      value = step(bytes, value);
    },
    () => {
      const out = Buffer.alloc(4);
      out.writeUInt32BE(value >>> 0);
      return Promise.resolve(out);
    },
  );
}

function hashChecksum(algorithm: ChecksumAlgorithm, hash: Hash): StreamingChecksum {
  return withBase64(
    algorithm,
    (bytes) => {
      hash.update(bytes);
    },
    () => Promise.resolve(hash.digest()),
  );
}

function crc64NvmeChecksum(): StreamingChecksum {
  // The SDK's implementation is the one S3 clients use; its digest is async only.
  const crc = new Crc64Nvme();
  return withBase64('CRC64NVME', (bytes) => crc.update(bytes), () => crc.digest());
}

/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), slicing by eight.
 * Written here because the byte-at-a-time @aws-crypto/crc32c runs at ~50 MB/s,
 * which would throttle uploads; tests cross-check it against that package.
 */
const CRC32C_TABLES = buildCrc32cTables();

function buildCrc32cTables(): Uint32Array[] {
  const tables = Array.from({ length: 8 }, () => new Uint32Array(256));
  const first = tables[0] as Uint32Array;
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    first[n] = c >>> 0;
  }
  for (let t = 1; t < 8; t++) {
    const previous = tables[t - 1] as Uint32Array;
    const current = tables[t] as Uint32Array;
    for (let n = 0; n < 256; n++) {
      const p = previous[n] as number;
      current[n] = ((p >>> 8) ^ (first[p & 0xff] as number)) >>> 0;
    }
  }
  return tables;
}

/** Same contract as zlib.crc32: pass the previous result to continue a running value. */
export function crc32c(data: Uint8Array, previous = 0): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = CRC32C_TABLES as [Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array];
  let crc = ~previous >>> 0;
  let i = 0;
  const end8 = data.length - (data.length % 8);
  while (i < end8) {
    const lo = (crc ^ ((data[i] as number) | ((data[i + 1] as number) << 8) | ((data[i + 2] as number) << 16) | ((data[i + 3] as number) << 24))) >>> 0;
    crc =
      (t7[lo & 0xff] as number) ^
      (t6[(lo >>> 8) & 0xff] as number) ^
      (t5[(lo >>> 16) & 0xff] as number) ^
      (t4[lo >>> 24] as number) ^
      (t3[data[i + 4] as number] as number) ^
      (t2[data[i + 5] as number] as number) ^
      (t1[data[i + 6] as number] as number) ^
      (t0[data[i + 7] as number] as number);
    i += 8;
  }
  while (i < data.length) {
    crc = (t0[(crc ^ (data[i] as number)) & 0xff] as number) ^ (crc >>> 8);
    i++;
  }
  return ~crc >>> 0;
}
