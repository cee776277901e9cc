import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../../src/logger.js';
import { loadServerConfig } from '../../src/server/config.js';
import { startS3Server, type RunningServer } from '../../src/server/run.js';
import { buildConsoleUi, ConsoleClient } from '../helpers/console.js';
import { ROOT_CREDENTIALS } from '../helpers/server.js';

/*
 * The server runs in this process so that its S3 listener alone can be
 * closed while the console keeps serving: the console's calls to S3 then
 * meet a closed port.
 */
describe('the console while its S3 listener is down', () => {
  let dataDir: string;
  let server: RunningServer;
  let c: ConsoleClient;
  const errors: string[] = [];
  const logger: Logger = { info: () => {}, warn: () => {}, error: (message, fields) => errors.push(`${message} ${JSON.stringify(fields)}`) };

  before(async () => {
    buildConsoleUi();
    dataDir = await mkdtemp(join(tmpdir(), 'latchkey-console-s3-down-'));
    const config = loadServerConfig(['--address', '127.0.0.1:0', '--data', dataDir], {
      LATCHKEY_ROOT_ACCESS_KEY: ROOT_CREDENTIALS.accessKeyId,
      LATCHKEY_ROOT_SECRET_KEY: ROOT_CREDENTIALS.secretAccessKey,
      LATCHKEY_MIN_FREE: '16MiB',
    });
    server = await startS3Server(config, logger);
    c = new ConsoleClient(server.consoleEndpoint ?? '');
    await c.signIn(ROOT_CREDENTIALS);
    assert.equal((await c.call('PUT', '/s3/still-here')).status, 200, 'the proxy reaches S3 while it listens');
    await c.call('PUT', '/s3/still-here/a.txt', undefined, { 'content-type': 'text/plain' });
    const closed = new Promise<void>((resolve) => server.server.close(() => resolve()));
    server.server.closeAllConnections();
    await closed;
  });
  after(async () => {
    await server?.close();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  });

  test('a proxied S3 call is a JSON 502 S3Unreachable, as every console error; the console itself still answers', async () => {
    for (const [method, path] of [['GET', '/s3/'], ['GET', '/s3/still-here/a.txt'], ['PUT', '/s3/still-here/b.txt'], ['DELETE', '/s3/still-here/a.txt']] as const) {
      const res = await c.call(method, path, method === 'PUT' ? 'body' : undefined);
      assert.equal(res.status, 502, `${method} ${path}`);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      assert.deepEqual(res.json['error'], { code: 'S3Unreachable', message: 'The S3 listener could not be reached.' }, `${method} ${path}`);
    }
    assert.equal((await c.call('GET', '/api/session')).status, 200);
    assert.deepEqual(errors, [], 'an unreachable S3 listener is the console\'s own answer, not an internal error');
  });

  test('sharing, which asks S3 whether the object may be read, is the same 502', async () => {
    const shared = await c.call('POST', '/api/share', { bucket: 'still-here', key: 'a.txt', expiresIn: 3600 });
    assert.equal(shared.status, 502);
    assert.deepEqual(shared.json['error'], { code: 'S3Unreachable', message: 'The S3 listener could not be reached.' });
    assert.deepEqual((await c.call('GET', '/api/links')).json['links'] ?? [], [], 'no link was issued');
    assert.deepEqual(errors, []);
  });
});
