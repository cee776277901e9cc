import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { s3Client } from '../helpers/clients.js';
import { consoleOf, startCluster, type TestCluster } from '../helpers/cluster.js';
import { ConsoleClient, createUserWithPolicy } from '../helpers/console.js';
import { NGINX_MISSING } from '../helpers/nginx.js';
import { postgresSuiteOptions } from '../helpers/postgres.js';
import { ROOT_CREDENTIALS } from '../helpers/server.js';

const pgOptions = await postgresSuiteOptions();
const options = NGINX_MISSING ? { skip: NGINX_MISSING } : pgOptions;

/** GET of a URL sent to another port on this machine, with the URL's own Host header (which the link signs). */
function getAs(url: string, port: number): Promise<{ status: number; body: string }> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: `${target.pathname}${target.search}`, headers: { host: target.host } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk)).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject).end();
  });
}

/** A client of node `to`'s console carrying the session another node's console gave `from`. */
function sameSessionOn(from: ConsoleClient, to: string): ConsoleClient {
  const client = new ConsoleClient(to);
  client.cookie = from.cookie;
  client.csrf = from.csrf;
  return client;
}

describe('The console on three nodes: sessions, sign-in limits and issued links live in the shared database', options, () => {
  let cluster: TestCluster;
  let consoles: string[];
  before(async () => {
    cluster = await startCluster({ nodes: 3, console: true });
    consoles = await Promise.all(cluster.nodes.map(consoleOf));
    await s3Client(cluster.nodes[0]!).send(new CreateBucketCommand({ Bucket: 'shared' }));
    await s3Client(cluster.nodes[0]!).send(new PutObjectCommand({ Bucket: 'shared', Key: 'report.txt', Body: 'quarterly numbers' }));
  });
  after(async () => {
    await cluster?.stop();
  });

  it('a session made through one node works through another, and signing out through that one ends it everywhere', async () => {
    const a = new ConsoleClient(consoles[0]!);
    await a.signIn(ROOT_CREDENTIALS);
    const b = sameSessionOn(a, consoles[1]!);
    const seen = await b.call('GET', '/api/session');
    assert.equal(seen.status, 200, JSON.stringify(seen.json));
    assert.equal(seen.json['user'], 'root');
    assert.equal((await b.call('GET', '/s3/shared?list-type=2')).status, 200, 'the S3 proxy of node B signs with the session made on node A');
    assert.equal((await b.call('DELETE', '/api/session')).status, 200);
    for (const origin of consoles) {
      const after = await sameSessionOn(a, origin).call('GET', '/api/session');
      assert.equal(after.status, 401, `signed out on node B, still signed in on ${origin}`);
      assert.equal((after.json['error'] as { code: string }).code, 'SignInRequired');
    }
  });

  it('failed sign-ins spread over the nodes add up: the limit is reached on a node that saw only some of them', async () => {
    const user = await createUserWithPolicy(cluster.nodes[0]!, 'dana', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:ListAllMyBuckets', Resource: '*' }] });
    // Two failures on node A, two on B, one on C: no node saw five.
    for (const [i, node] of [0, 0, 1, 1, 2].entries()) {
      const failed = await new ConsoleClient(consoles[node]!).call('POST', '/api/session', { accessKeyId: user.accessKeyId, secretAccessKey: `guess-${i}` });
      assert.equal(failed.status, 401, JSON.stringify(failed.json));
      assert.equal((failed.json['error'] as { code: string }).code, 'InvalidCredentials');
    }
    for (const origin of consoles) {
      const blocked = await new ConsoleClient(origin).call('POST', '/api/session', user);
      assert.equal(blocked.status, 429, `the right secret after five failures elsewhere, through ${origin}`);
      assert.equal((blocked.json['error'] as { code: string }).code, 'TooManyAttempts');
      assert.ok(Number(blocked.headers.get('retry-after')) > 800);
    }
    // Another key from the same address is not held back.
    await new ConsoleClient(consoles[1]!).signIn(ROOT_CREDENTIALS);
  });

  it('a link issued through node A is listed and revoked through node B, and then refused by every node', async () => {
    const a = new ConsoleClient(consoles[0]!);
    await a.signIn(ROOT_CREDENTIALS);
    // Every node has read its list before the link exists (a node that remembered its first read would miss it).
    for (const origin of consoles) assert.deepEqual((await sameSessionOn(a, origin).call('GET', '/api/links')).json['links'], []);
    const shared = await a.call('POST', '/api/share', { bucket: 'shared', key: 'report.txt', expiresIn: 3600 });
    assert.equal(shared.status, 201, JSON.stringify(shared.json));
    const id = String(shared.json['id']);
    const url = String(shared.json['url']);
    assert.equal(await (await fetch(url)).text(), 'quarterly numbers');

    const b = sameSessionOn(a, consoles[1]!);
    type View = { id: string; status: string; usage: { uses: number } | null };
    const viewOnB = async (): Promise<View | undefined> => {
      const listed = await b.call('GET', '/api/links');
      assert.equal(listed.status, 200);
      return (listed.json['links'] as View[]).find((l) => l.id === id);
    };
    assert.equal((await viewOnB())?.status, 'active');
    // Node A writes its audit records in batches (about once a second): node B shows the use once A's batch is in.
    const deadline = Date.now() + 10_000;
    while ((await viewOnB())?.usage?.uses !== 1) {
      assert.ok(Date.now() < deadline, 'the use through node A never showed on node B');
      await new Promise((r) => setTimeout(r, 100));
    }

    const revoked = await b.call('POST', `/api/links/${id}/revoke`);
    assert.equal(revoked.status, 200, JSON.stringify(revoked.json));
    assert.equal((revoked.json['link'] as { status: string }).status, 'revoked');
    const onC = await sameSessionOn(a, consoles[2]!).call('GET', '/api/links');
    assert.equal((onC.json['links'] as { id: string; status: string }[]).find((l) => l.id === id)?.status, 'revoked');
    // The link names node A's S3 listener (its signed Host); each node gets it as sent.
    for (const node of cluster.nodes) {
      const answer = await getAs(url, node.port);
      assert.equal(answer.status, 403, `node on port ${node.port}: ${answer.body}`);
      assert.match(answer.body, /<Code>AccessDenied<\/Code>/);
    }
  });
});
