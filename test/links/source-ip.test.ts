import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { adminCall, expectStatus } from '../helpers/admin-client.js';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { expectBody, expectS3Error, link, withParam } from '../helpers/links.js';
import { serverWithBucket } from '../helpers/server-with-bucket.js';

const SOURCE_IP = 'X-Latchkey-Source-Ip';

async function seed(s3: S3Client): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: 'fenced', Key: 'doc.txt', Body: 'inside' }));
}

describe('X-Latchkey-Source-Ip over IPv4', () => {
  const live = serverWithBucket('fenced', { seed });

  it('serves a link limited to the client address or a block holding it', async () => {
    for (const range of ['127.0.0.1/32', '127.0.0.0/8', '127.0.0.1', '::ffff:127.0.0.1/128', '0.0.0.0/0']) {
      await expectBody(await fetch(link(live.server, 'fenced', 'doc.txt', { params: { [SOURCE_IP]: range } })), 'inside');
    }
  });

  it('refuses a link limited elsewhere with 403 AccessDenied "Link not valid from this address"', async () => {
    for (const range of ['10.0.0.0/8', '127.0.0.2/32', '192.0.2.0/24', '::1/128', '2001:db8::/32']) {
      await expectS3Error(await fetch(link(live.server, 'fenced', 'doc.txt', { params: { [SOURCE_IP]: range } })), 403, 'AccessDenied', 'Link not valid from this address');
    }
  });

  it('treats a widened range as a forged link: 403 SignatureDoesNotMatch', async () => {
    const url = link(live.server, 'fenced', 'doc.txt', { params: { [SOURCE_IP]: '10.0.0.0/8' } });
    await expectS3Error(await fetch(withParam(url, SOURCE_IP, '0.0.0.0/0')), 403, 'SignatureDoesNotMatch');
    await expectS3Error(await fetch(withParam(url, SOURCE_IP, '127.0.0.1/32')), 403, 'SignatureDoesNotMatch');
  });

  it('refuses a malformed range with 400 InvalidArgument', async () => {
    for (const range of ['10.0.0.0/33', '10.0.0/8', 'localhost', '2001:db8::/129', '', '10.0.0.0/8,127.0.0.1']) {
      await expectS3Error(await fetch(link(live.server, 'fenced', 'doc.txt', { params: { [SOURCE_IP]: range } })), 400, 'InvalidArgument');
    }
  });

  it('combines with a use limit: a refused address uses nothing up', async () => {
    const elsewhere = link(live.server, 'fenced', 'doc.txt', { params: { [SOURCE_IP]: '10.0.0.0/8', 'X-Latchkey-Max-Uses': '1' } });
    await expectS3Error(await fetch(elsewhere), 403, 'AccessDenied', 'Link not valid from this address');
    const here = link(live.server, 'fenced', 'doc.txt', { params: { [SOURCE_IP]: '127.0.0.1/32', 'X-Latchkey-Max-Uses': '1' } });
    await expectBody(await fetch(here), 'inside');
    await expectS3Error(await fetch(here), 403, 'AccessDenied', 'Link use limit reached');
  });
});

describe('X-Latchkey-Source-Ip over IPv6', () => {
  const live = serverWithBucket('fenced', { start: { args: ['--address', '[::1]:0'] }, seed });

  it('serves IPv6 forms that hold ::1 and refuses the others', async () => {
    for (const range of ['::1/128', '::1', '0:0:0:0:0:0:0:1/128', '::/0']) {
      await expectBody(await fetch(link(live.server, 'fenced', 'doc.txt', { params: { [SOURCE_IP]: range } })), 'inside');
    }
    for (const range of ['2001:db8::/32', '::2/128', '127.0.0.1/32', '0.0.0.0/0']) {
      await expectS3Error(await fetch(link(live.server, 'fenced', 'doc.txt', { params: { [SOURCE_IP]: range } })), 403, 'AccessDenied', 'Link not valid from this address');
    }
  });
});

describe('X-Latchkey-Source-Ip on a dual-stack socket (IPv4 clients seen as ::ffff:a.b.c.d)', () => {
  const live = serverWithBucket('fenced', { start: { args: ['--address', '[::ffff:127.0.0.1]:0'] }, seed });
  // fetch() sends the Host as the WHATWG URL writes it ([::ffff:7f00:1]), so links are signed for that spelling.
  const server = () => ({ ...live.server, endpoint: new URL(live.server.endpoint).origin });

  it('takes the client for the IPv4 address it is: IPv4 blocks match, IPv6 ones do not', async () => {
    assert.match(server().endpoint, /^http:\/\/\[::ffff:7f00:1\]:\d+$/);
    for (const range of ['127.0.0.1/32', '127.0.0.0/8', '::ffff:127.0.0.1/128']) {
      await expectBody(await fetch(link(server(), 'fenced', 'doc.txt', { params: { [SOURCE_IP]: range } })), 'inside');
    }
    for (const range of ['127.0.0.2/32', '::1/128', '::ffff:127.0.0.2/128']) {
      await expectS3Error(await fetch(link(server(), 'fenced', 'doc.txt', { params: { [SOURCE_IP]: range } })), 403, 'AccessDenied', 'Link not valid from this address');
    }
  });

  it('logs the IPv4 address in the link audit log', async () => {
    await expectBody(await fetch(link(server(), 'fenced', 'doc.txt')), 'inside');
    const log = expectStatus(await adminCall<{ entries: Array<{ clientIp: string }> }>(server(), 'GET', '/links/log'), 200);
    assert.ok(log.entries.length > 0);
    for (const entry of log.entries) assert.equal(entry.clientIp, '127.0.0.1');
  });
});
