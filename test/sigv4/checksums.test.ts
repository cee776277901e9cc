import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Crc32c as AwsCrc32c } from '@aws-crypto/crc32c';
import { Crc64Nvme } from '@aws-sdk/crc64-nvme';
import { computeChecksum } from '../helpers/checksum.js';
import {
  CHECKSUM_ALGORITHMS,
  checksumAlgorithmFromHeader,
  checksumHeaderName,
  checksumMismatchMessage,
  crc32c,
  createChecksum,
  createChecksumForHeader,
  isWellFormedChecksum,
  parseChecksumAlgorithm,
  type ChecksumAlgorithm,
} from '../../src/checksums.js';

function pattern(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = (i * 131 + seed + (i >> 9)) & 0xff;
  return out;
}

const INPUTS: ReadonlyArray<readonly [string, Buffer]> = [
  ['empty', Buffer.alloc(0)],
  ['hello world', Buffer.from('hello world')],
  ['one byte', Buffer.from([0xff])],
  ['seven bytes', pattern(7, 3)],
  ['70 KiB', pattern(70 * 1024 + 5, 11)],
  ['1 MiB + 3', pattern(1024 * 1024 + 3, 29)],
];

/** Values printed by botocore's own checksum classes (and hashlib for MD5) for the same bytes. */
const BOTOCORE = `
import base64, hashlib, json, sys
from botocore.httpchecksum import Crc32Checksum, Sha1Checksum, Sha256Checksum, Sha512Checksum
out = []
for path in sys.argv[1:]:
    data = open(path, 'rb').read()
    row = {}
    for name, cls in (('CRC32', Crc32Checksum), ('SHA1', Sha1Checksum), ('SHA256', Sha256Checksum), ('SHA512', Sha512Checksum)):
        c = cls(); c.update(data); row[name] = c.b64digest()
    row['MD5'] = base64.b64encode(hashlib.md5(data).digest()).decode()
    out.append(row)
print(json.dumps(out))
`;

describe('checksums against botocore', () => {
  let dir = '';
  let expected: Array<Record<string, string>> = [];
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'latchkey-checksums-'));
    const files = await Promise.all(
      INPUTS.map(async ([, data], i) => {
        const file = join(dir, `input-${i}`);
        await writeFile(file, data);
        return file;
      }),
    );
    const { stdout } = await promisify(execFile)('python3', ['-c', BOTOCORE, ...files]);
    expected = JSON.parse(stdout) as Array<Record<string, string>>;
  });
  after(() => rm(dir, { recursive: true, force: true }));

  for (const [index, [label, data]] of INPUTS.entries()) {
    for (const algorithm of ['CRC32', 'SHA1', 'SHA256', 'SHA512', 'MD5'] as const) {
      it(`${algorithm} of ${label} matches botocore`, async () => {
        const want = expected[index]?.[algorithm];
        assert.ok(want, 'botocore produced a value');
        assert.equal(await computeChecksum(algorithm, data), want);
      });
    }
  }
});

describe('checksums against the JS SDK', () => {
  for (const [label, data] of INPUTS) {
    it(`CRC32C of ${label} matches @aws-crypto/crc32c`, async () => {
      const reference = new AwsCrc32c().update(data).digest();
      const bytes = Buffer.alloc(4);
      bytes.writeUInt32BE(reference);
      assert.equal(await computeChecksum('CRC32C', data), bytes.toString('base64'));
      assert.equal(crc32c(data), reference);
    });
    it(`CRC64NVME of ${label} matches @aws-sdk/crc64-nvme`, async () => {
      const reference = new Crc64Nvme();
      reference.update(data);
      assert.equal(await computeChecksum('CRC64NVME', data), Buffer.from(await reference.digest()).toString('base64'));
    });
  }
});

describe('published values', () => {
  it('CRC32C of 66560 bytes of "a" is the AWS streaming example trailer', async () => {
    assert.equal(await computeChecksum('CRC32C', Buffer.alloc(66560, 'a')), 'sOO8/Q==');
  });
  it('CRC32 of "hello\\n" is NjowIA== (as AWS prints it)', async () => {
    assert.equal(await computeChecksum('CRC32', Buffer.from('hello\n')), 'NjowIA==');
  });
  it('CRC32C check value of "123456789" is 0xE3069283', () => {
    assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  });
  it('CRC64NVME check value of "123456789" is 0xAE8B14860A799888', async () => {
    assert.equal(Buffer.from(await createDigest('CRC64NVME', Buffer.from('123456789'))).toString('hex'), 'ae8b14860a799888');
  });
  it('the empty SHA256 is the well-known one', async () => {
    assert.equal(Buffer.from(await computeChecksum('SHA256', Buffer.alloc(0)), 'base64').toString('hex'), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});

async function createDigest(algorithm: ChecksumAlgorithm, data: Uint8Array): Promise<Uint8Array> {
  const checksum = createChecksum(algorithm);
  checksum.update(data);
  return checksum.digestBytes();
}

describe('streaming updates', () => {
  const data = pattern(200_003, 5);
  for (const algorithm of CHECKSUM_ALGORITHMS) {
    it(`${algorithm}: any split into updates gives the one-shot digest`, async () => {
      const whole = await computeChecksum(algorithm, data);
      for (const sizes of [[1, 2, 3, 5, 8, 13], [7], [8191, 1], [65536]]) {
        const checksum = createChecksum(algorithm);
        let pos = 0;
        for (let i = 0; pos < data.length; i++) {
          const size = sizes[i % sizes.length] ?? 1;
          checksum.update(data.subarray(pos, pos + size));
          pos += size;
        }
        assert.equal(await checksum.digest(), whole, `pieces of ${sizes.join(',')}`);
      }
    });
  }
  it('a different byte changes every digest', async () => {
    const changed = Buffer.from(data);
    changed[100_000] = (changed[100_000] ?? 0) ^ 1;
    for (const algorithm of CHECKSUM_ALGORITHMS) {
      assert.notEqual(await computeChecksum(algorithm, changed), await computeChecksum(algorithm, data), algorithm);
    }
  });
});

describe('names', () => {
  it('parses x-amz-sdk-checksum-algorithm values, any case', () => {
    assert.equal(parseChecksumAlgorithm('CRC32'), 'CRC32');
    assert.equal(parseChecksumAlgorithm('crc64nvme'), 'CRC64NVME');
    assert.equal(parseChecksumAlgorithm(' sha256 '), 'SHA256');
    assert.equal(parseChecksumAlgorithm('XXHASH64'), undefined);
    assert.equal(parseChecksumAlgorithm('CRC'), undefined);
    assert.equal(parseChecksumAlgorithm(''), undefined);
  });
  it('maps header and trailer names both ways', () => {
    assert.equal(checksumAlgorithmFromHeader('x-amz-checksum-crc32c'), 'CRC32C');
    assert.equal(checksumAlgorithmFromHeader('X-Amz-Checksum-SHA1'), 'SHA1');
    for (const name of ['x-amz-checksum-type', 'x-amz-checksum-mode', 'x-amz-checksum-algorithm', 'x-amz-checksum-', 'x-amz-crc32', 'content-md5']) {
      assert.equal(checksumAlgorithmFromHeader(name), undefined, name);
    }
    for (const algorithm of CHECKSUM_ALGORITHMS) assert.equal(checksumAlgorithmFromHeader(checksumHeaderName(algorithm)), algorithm);
    assert.equal(checksumHeaderName('CRC64NVME'), 'x-amz-checksum-crc64nvme');
    assert.equal(createChecksumForHeader('x-amz-checksum-xxhash3'), undefined);
    assert.equal(createChecksumForHeader('x-amz-checksum-sha256')?.algorithm, 'SHA256');
  });
  it('checks the shape of a checksum value', () => {
    assert.equal(isWellFormedChecksum('CRC32', 'DUoRhQ=='), true);
    assert.equal(isWellFormedChecksum('CRC32', 'DUoRhQ='), false);
    assert.equal(isWellFormedChecksum('CRC32', 'DUoRhQAA'), false);
    assert.equal(isWellFormedChecksum('CRC64NVME', 'jSnVw/bqjr4='), true);
    assert.equal(isWellFormedChecksum('SHA256', 'DUoRhQ=='), false);
    assert.equal(isWellFormedChecksum('SHA1', 'Kq5sNclPz7QV2+lfQIuc6R7oRu0='), true);
    assert.equal(isWellFormedChecksum('CRC32', 'DUoR hQ=='), false);
  });
  it('words the BadDigest message as AWS does', () => {
    assert.equal(checksumMismatchMessage('CRC32'), 'The CRC32 you specified did not match the calculated checksum.');
  });
});
