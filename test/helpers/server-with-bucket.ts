import { after, before } from 'node:test';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { s3Client } from './clients.js';
import { startServer, type StartOptions, type TestServer } from './server.js';

/** A running server with root's SDK client; only usable inside tests and later hooks. */
export interface ServerWithBucket {
  readonly server: TestServer;
  readonly client: S3Client;
}

export interface ServerWithBucketOptions {
  readonly start?: StartOptions;
  /** Runs in the same `before`, after the bucket exists. */
  readonly seed?: (client: S3Client) => Promise<void>;
}

/**
 * Registers hooks on the current suite (or file): `before` starts a server,
 * makes a root S3 client, creates `bucket` and seeds it; `after` destroys the
 * client and stops the server. Seeding is an option rather than a later
 * `before` because node:test runs a file-level hook as soon as it is
 * registered, so a second one would not wait for this one.
 */
export function serverWithBucket(bucket: string, options: ServerWithBucketOptions = {}): ServerWithBucket {
  let server: TestServer | undefined;
  let client: S3Client | undefined;
  before(async () => {
    server = await startServer(options.start);
    client = s3Client(server);
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    await options.seed?.(client);
  });
  after(async () => {
    client?.destroy();
    await server?.stop();
  });
  return {
    get server(): TestServer {
      if (!server) throw new Error('serverWithBucket: the server is not started yet (use it in a test or a later hook)');
      return server;
    },
    get client(): S3Client {
      if (!client) throw new Error('serverWithBucket: the client is not made yet (use it in a test or a later hook)');
      return client;
    },
  };
}
