import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { objectArn } from '../../src/iam/index.js';
import type { Principal } from '../../src/identity/identities.js';
import { Authorizer } from '../../src/s3/authorize.js';
import { sqliteFixture, type StoreFixture } from '../helpers/store-fixtures.js';

/*
 * The Authorizer reads an object's tags only when a policy in play has an
 * s3:ExistingObjectTag condition and the action acts on an existing object:
 * every other request pays nothing for tags.
 */

let fixture: StoreFixture;
const lookups: string[] = [];
let authorizer: Authorizer;

const user = (name: string): Principal => ({ kind: 'user', name, accessKeyId: `AK${name}` });

before(async () => {
  fixture = await sqliteFixture();
  const identities = fixture.store.identities;
  for (const [name, statement] of [
    ['plain', { Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::b/*' }],
    ['tagged', { Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::b/*', Condition: { StringEquals: { 's3:ExistingObjectTag/public': 'yes' } } }],
  ] as const) {
    await identities.createUser(name);
    await identities.putPolicy(name, JSON.stringify({ Version: '2012-10-17', Statement: [statement] }));
    await identities.attachPolicy(name, name);
  }
  const tags: Record<string, Record<string, string>> = { 'public.txt': { public: 'yes' }, 'none.txt': {} };
  authorizer = new Authorizer(identities, Date.now, (bucket, key) => {
    lookups.push(`${bucket}/${key}`);
    return Promise.resolve(tags[key] ?? null);
  });
});
after(async () => {
  await fixture?.cleanup();
});

describe('s3:ExistingObjectTag lookups', () => {
  it('none for a policy without the condition, nor for root', async () => {
    lookups.length = 0;
    assert.equal(await authorizer.allowsFor(user('plain'), 's3:GetObject', objectArn('b', 'public.txt'), 'b', {}), true);
    assert.equal(await authorizer.allowsFor({ kind: 'root', name: 'root', accessKeyId: 'AKROOT' }, 's3:GetObject', objectArn('b', 'public.txt'), 'b', {}), true);
    assert.deepEqual(lookups, []);
  });

  it('one per check of an action on an existing object, under a policy that asks; the answer follows the tags', async () => {
    lookups.length = 0;
    assert.equal(await authorizer.allowsFor(user('tagged'), 's3:GetObject', objectArn('b', 'public.txt'), 'b', {}), true);
    assert.equal(await authorizer.allowsFor(user('tagged'), 's3:GetObject', objectArn('b', 'none.txt'), 'b', {}), false);
    assert.equal(await authorizer.allowsFor(user('tagged'), 's3:GetObject', objectArn('b', 'missing.txt'), 'b', {}), false);
    assert.equal(await authorizer.allowsFor(user('tagged'), 's3:GetObject', objectArn('b', 'dir/a b.txt'), 'b', {}), false);
    assert.deepEqual(lookups, ['b/public.txt', 'b/none.txt', 'b/missing.txt', 'b/dir/a b.txt']);
    // s3:PutObject writes a new object: the old one's tags are not consulted.
    lookups.length = 0;
    assert.equal(await authorizer.allowsFor(user('tagged'), 's3:PutObject', objectArn('b', 'public.txt'), 'b', {}), false);
    assert.deepEqual(lookups, []);
  });
});
