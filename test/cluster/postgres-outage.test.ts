import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { s3Client } from '../helpers/clients.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { expectS3Error, link } from '../helpers/links.js';
import { NGINX_MISSING } from '../helpers/nginx.js';
import { postgresSuiteOptions } from '../helpers/postgres.js';
import { startPrivatePostgres, type PrivatePostgres } from '../helpers/private-postgres.js';

const pgOptions = await postgresSuiteOptions();
const missing = NGINX_MISSING || (existsSync('/usr/lib/postgresql/15/bin/initdb') ? false : 'PostgreSQL 15 server binaries are not installed');
const options = missing ? { skip: missing } : pgOptions;

async function put(url: string, body: string): Promise<number> {
  const response = await fetch(url, { method: 'PUT', body });
  await response.arrayBuffer();
  return response.status;
}

describe('PostgreSQL going away under load', options, () => {
  let pg: PrivatePostgres;
  let cluster: TestCluster;
  before(async () => {
    pg = await startPrivatePostgres();
    cluster = await startCluster({ nodes: 2, database: { url: pg.url, drop: () => Promise.resolve() } });
    await s3Client(cluster.nodes[0]!).send(new CreateBucketCommand({ Bucket: 'outage' }));
  });
  after(async () => {
    await cluster?.stop();
    pg?.destroy();
  });

  it('answers 503 ServiceUnavailable while it is down, serves again when it is back, and loses no acknowledged write', async () => {
    const { balancer, nodes } = cluster;
    const acknowledged = new Map<string, string>();
    let n = 0;
    let load = true;
    // Writes through nginx the whole time: before, during and after the outage.
    const writer = (async () => {
      while (load && n < 2000) {
        const key = `k${n++}`;
        const status = await put(link(balancer, 'outage', key, { method: 'PUT' }), `body of ${key}`);
        assert.ok(status === 200 || status === 503, `PUT ${key}: ${status}`);
        if (status === 200) acknowledged.set(key, `body of ${key}`);
      }
    })();
    const waitFor = async (what: string, check: () => Promise<boolean>) => {
      const deadline = Date.now() + 60_000;
      while (!(await check())) {
        if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    await waitFor('some writes before the outage', () => Promise.resolve(acknowledged.size >= 10));
    pg.stop();
    for (const node of nodes) {
      await expectS3Error(await fetch(link(node, 'outage', 'k0')), 503, 'ServiceUnavailable');
      await expectS3Error(await fetch(link(node, 'outage', 'new-key', { method: 'PUT' }), { method: 'PUT', body: 'x' }), 503, 'ServiceUnavailable');
    }
    const duringOutage = acknowledged.size;
    pg.start();
    await waitFor('writes to be acknowledged again', () => Promise.resolve(acknowledged.size > duringOutage + 10));
    load = false;
    await writer;
    for (const node of nodes) {
      for (const [key, body] of acknowledged) {
        const response = await fetch(link(node, 'outage', key));
        assert.equal(response.status, 200, `${key} through ${node.endpoint}`);
        assert.equal(await response.text(), body);
      }
    }
    // The refused write stored nothing.
    await expectS3Error(await fetch(link(nodes[0]!, 'outage', 'new-key')), 404, 'NoSuchKey');
  });
});
