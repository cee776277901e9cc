import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  evaluate, EXISTING_OBJECT_TAG_ACTIONS, existingObjectTagConditions, mentionsExistingObjectTag, parsePolicy, REQUEST_OBJECT_TAG_ACTIONS,
  requestObjectTagConditions, type ConditionValue,
} from '../../src/iam/index.js';

/** One Allow statement with `condition` on s3:GetObject / s3:PutObject, decided for user alice with the given condition values. */
function allowed(action: string, condition: Record<string, Record<string, unknown>>, conditions: Record<string, ConditionValue>): boolean {
  const doc = parsePolicy(JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: action, Resource: 'arn:aws:s3:::b/*', Condition: condition }],
  }), { kind: 'identity' });
  const result = evaluate({ identityPolicies: [doc], request: { principal: { kind: 'user', name: 'alice' }, action, resource: 'arn:aws:s3:::b/k', conditions } });
  return result.decision === 'allow';
}

const PUBLIC_ONLY = { StringEquals: { 's3:ExistingObjectTag/public': 'yes' } };

describe('s3:ExistingObjectTag/<key>', () => {
  it('holds for the object\'s tag value, fails for another value, a missing tag or no tags at all', () => {
    assert.equal(allowed('s3:GetObject', PUBLIC_ONLY, existingObjectTagConditions({ public: 'yes', team: 'a' })), true);
    assert.equal(allowed('s3:GetObject', PUBLIC_ONLY, existingObjectTagConditions({ public: 'no' })), false);
    assert.equal(allowed('s3:GetObject', PUBLIC_ONLY, existingObjectTagConditions({ team: 'a' })), false);
    assert.equal(allowed('s3:GetObject', PUBLIC_ONLY, existingObjectTagConditions({})), false);
    // Values compare case-sensitively; the key names, like every condition key, do not.
    assert.equal(allowed('s3:GetObject', PUBLIC_ONLY, existingObjectTagConditions({ public: 'YES' })), false);
    assert.equal(allowed('s3:GetObject', { StringEquals: { 'S3:existingobjecttag/PUBLIC': 'yes' } }, existingObjectTagConditions({ public: 'yes' })), true);
  });

  it('a Deny on a tag value refuses only objects carrying it; StringNotEquals lets untagged objects through', () => {
    const doc = parsePolicy(JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' },
        { Effect: 'Deny', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*', Condition: { StringEquals: { 's3:ExistingObjectTag/class': 'secret' } } },
      ],
    }), { kind: 'identity' });
    const decide = (tags: Record<string, string>) =>
      evaluate({ identityPolicies: [doc], request: { principal: { kind: 'user', name: 'alice' }, action: 's3:GetObject', resource: 'arn:aws:s3:::b/k', conditions: existingObjectTagConditions(tags) } }).decision;
    assert.equal(decide({ class: 'secret' }), 'explicit-deny');
    assert.equal(decide({ class: 'open' }), 'allow');
    assert.equal(decide({}), 'allow');
    assert.equal(allowed('s3:GetObject', { StringNotEquals: { 's3:ExistingObjectTag/class': 'secret' } }, {}), true);
  });

  it('is read only for actions on existing objects, and only when a policy mentions it', () => {
    for (const action of ['s3:GetObject', 's3:GetObjectTagging', 's3:PutObjectTagging', 's3:DeleteObjectTagging']) assert.ok(EXISTING_OBJECT_TAG_ACTIONS.has(action.toLowerCase()), action);
    for (const action of ['s3:PutObject', 's3:DeleteObject', 's3:ListBucket']) assert.ok(!EXISTING_OBJECT_TAG_ACTIONS.has(action.toLowerCase()), action);
    const mentions = parsePolicy(JSON.stringify({ Statement: [{ Effect: 'Allow', Action: '*', Resource: '*', Condition: PUBLIC_ONLY }] }), { kind: 'identity' });
    const other = parsePolicy(JSON.stringify({ Statement: [{ Effect: 'Allow', Action: '*', Resource: '*', Condition: { StringEquals: { 's3:RequestObjectTag/public': 'yes' } } }] }), { kind: 'identity' });
    const none = parsePolicy(JSON.stringify({ Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }), { kind: 'identity' });
    assert.equal(mentionsExistingObjectTag([none, other]), false);
    assert.equal(mentionsExistingObjectTag([none, mentions]), true);
    assert.equal(mentionsExistingObjectTag([]), false);
  });
});

describe('s3:RequestObjectTag/<key> and s3:RequestObjectTagKeys', () => {
  const TEAM_WEB = { StringEquals: { 's3:RequestObjectTag/team': 'web' } };

  it('holds when the request sets the tag to the value; fails for another value or no tags', () => {
    assert.equal(allowed('s3:PutObject', TEAM_WEB, requestObjectTagConditions({ team: 'web' })), true);
    assert.equal(allowed('s3:PutObject', TEAM_WEB, requestObjectTagConditions({ team: 'ops' })), false);
    assert.equal(allowed('s3:PutObject', TEAM_WEB, {}), false);
    assert.ok(REQUEST_OBJECT_TAG_ACTIONS.has('s3:putobject') && REQUEST_OBJECT_TAG_ACTIONS.has('s3:putobjecttagging'));
    assert.ok(!REQUEST_OBJECT_TAG_ACTIONS.has('s3:getobject'));
  });

  it('RequestObjectTagKeys is multi-valued: ForAllValues limits the keys a request may set, ForAnyValue requires one', () => {
    const onlyTeamAndEnv = { 'ForAllValues:StringEquals': { 's3:RequestObjectTagKeys': ['team', 'env'] } };
    assert.equal(allowed('s3:PutObject', onlyTeamAndEnv, requestObjectTagConditions({ team: 'web', env: 'prod' })), true);
    assert.equal(allowed('s3:PutObject', onlyTeamAndEnv, requestObjectTagConditions({ team: 'web', owner: 'x' })), false);
    // No tags at all: the empty set satisfies ForAllValues.
    assert.equal(allowed('s3:PutObject', onlyTeamAndEnv, requestObjectTagConditions({})), true);
    const needsTeam = { 'ForAnyValue:StringEquals': { 's3:RequestObjectTagKeys': 'team' } };
    assert.equal(allowed('s3:PutObject', needsTeam, requestObjectTagConditions({ env: 'prod', team: 'x' })), true);
    assert.equal(allowed('s3:PutObject', needsTeam, requestObjectTagConditions({ env: 'prod' })), false);
  });

  it('the values are built from the tags as given', () => {
    assert.deepEqual(requestObjectTagConditions({ a: '1', 'b c': '' }), {
      's3:RequestObjectTagKeys': ['a', 'b c'], 's3:RequestObjectTag/a': '1', 's3:RequestObjectTag/b c': '',
    });
    assert.deepEqual(existingObjectTagConditions({ a: '1' }), { 's3:ExistingObjectTag/a': '1' });
  });
});
