import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { s3Error } from '../helpers/s3-error.js';
import { checkConditions, checkCoverage, checkExpiration, parsePostPolicy, type PolicyInput, type PostPolicy } from '../../src/s3/post-object/policy.js';

/*
 * The POST policy document (policy.ts) in-process: how it is decoded, each
 * way it is malformed (InvalidPolicyDocument, 400, with AWS's wording), and
 * each condition held against a form (AccessDenied, 403). Where
 * test/presign/post-policy.test.ts sends forms to a server, this pins each
 * rule at its edges. The mutation target `post` runs it first (docs/testing.md).
 */

const encode = (document: unknown): string => Buffer.from(typeof document === 'string' ? document : JSON.stringify(document)).toString('base64');
const EXPIRATION = '2024-05-06T07:08:09Z';
const policyOf = (conditions: unknown, expiration: unknown = EXPIRATION) => parsePostPolicy(encode({ expiration, conditions }));

function invalid(run: () => unknown, reason: string): void {
  const error = s3Error(run);
  assert.deepEqual([error.status, error.code, error.message], [400, 'InvalidPolicyDocument', `Invalid Policy: ${reason}`]);
}

function denied(run: () => unknown, reason: string): void {
  const error = s3Error(run);
  assert.deepEqual([error.status, error.code, error.message], [403, 'AccessDenied', `Invalid according to Policy: ${reason}`]);
}

describe('parsePostPolicy: the document', () => {
  it('a valid document: its expiration in epoch ms, its conditions normalised', () => {
    const policy = policyOf([{ bucket: 'b' }, ['starts-with', '$Key', 'up/'], ['content-length-range', 1, '10']]);
    assert.deepEqual(policy, {
      expiration: Date.parse(EXPIRATION),
      conditions: [
        { op: 'eq', field: 'bucket', value: 'b', text: '["eq", "$bucket", "b"]' },
        { op: 'starts-with', field: 'key', value: 'up/', text: '["starts-with", "$Key", "up/"]' },
        { op: 'content-length-range', min: 1, max: 10, text: '["content-length-range", 1, 10]' },
      ],
    });
  });

  it('base64 with line breaks and padding is read; anything else is not base64, hence not JSON', () => {
    const text = encode({ expiration: EXPIRATION, conditions: [] });
    const wrapped = `${text.slice(0, 20)}\r\n${text.slice(20)}\r\n`;
    assert.equal(parsePostPolicy(wrapped).expiration, Date.parse(EXPIRATION));
    assert.equal(parsePostPolicy(`${text}\n`).expiration, Date.parse(EXPIRATION));
    const padded = encode({ expiration: EXPIRATION, conditions: [], x: 'y' });
    assert.ok(padded.endsWith('='));
    assert.equal(parsePostPolicy(padded).expiration, Date.parse(EXPIRATION));
    for (const bad of [`!${text}`, `${text}!`, `${text}===`, `${text}=A`, `${text.slice(0, 4)}-${text.slice(4)}`, `${text.slice(0, 4)}_${text.slice(4)}`, `${text} `]) {
      invalid(() => parsePostPolicy(bad), 'Invalid JSON.');
    }
  });

  it('JSON that is not an object: Invalid JSON', () => {
    for (const document of ['{', 'null', '[]', '42', '"text"', 'true']) invalid(() => parsePostPolicy(encode(document)), 'Invalid JSON.');
  });

  it('expiration: required, an ISO 8601 UTC time with at most nine decimals', () => {
    invalid(() => parsePostPolicy(encode({ conditions: [] })), 'Policy missing expiration.');
    assert.equal(policyOf([], '2024-05-06T07:08:09.123Z').expiration, Date.parse('2024-05-06T07:08:09.123Z'));
    assert.equal(policyOf([], '2024-05-06T07:08:09.123456789Z').expiration, Date.parse('2024-05-06T07:08:09.123Z'));
    for (const bad of [
      '2024-05-06T07:08:09.1234567891Z',
      '2024-05-06T07:08:09.Z',
      'x2024-05-06T07:08:09Z',
      '2024-05-06T07:08:09Zx',
      '2024-05-06 07:08:09Z',
      '2024-05-06T07:08:09',
      '2024-05-06T07:08:09+01:00',
      '2024-5-06T07:08:09Z',
      '24-05-06T07:08:09Z',
      '2024-05-06T7:08:09Z',
      '2024-05-06T07:8:09Z',
      '2024-05-06T07:08:9Z',
      '2024-05-6T07:08:09Z',
      '12024-05-06T07:08:09Z',
      '2024-13-06T07:08:09Z',
      '',
    ]) {
      invalid(() => policyOf([], bad), `Invalid 'expiration' value: '${bad}'`);
    }
    invalid(() => policyOf([], 1714979289000), "Invalid 'expiration' value: '1714979289000'");
    invalid(() => policyOf([], null), "Invalid 'expiration' value: 'null'");
    invalid(() => policyOf([], { at: EXPIRATION }), `Invalid 'expiration' value: '{"at":"${EXPIRATION}"}'`);
  });

  it('conditions: required, an array', () => {
    invalid(() => parsePostPolicy(encode({ expiration: EXPIRATION })), 'Policy missing conditions.');
    for (const conditions of [{}, 'bucket', null, 1]) invalid(() => policyOf(conditions), 'Policy conditions must be an array.');
    assert.deepEqual(policyOf([]).conditions, []);
  });
});

describe('parsePostPolicy: each condition', () => {
  it('the operations in any case; the field without its $, in lower case; the text as written', () => {
    assert.deepEqual(policyOf([['EQ', '$X-Amz-Meta-A', 'v'], ['Starts-With', '$key', '']]).conditions, [
      { op: 'eq', field: 'x-amz-meta-a', value: 'v', text: '["eq", "$X-Amz-Meta-A", "v"]' },
      { op: 'starts-with', field: 'key', value: '', text: '["starts-with", "$key", ""]' },
    ]);
    assert.deepEqual(policyOf([{ 'Content-Type': 'image/png' }]).conditions, [{ op: 'eq', field: 'content-type', value: 'image/png', text: '["eq", "$Content-Type", "image/png"]' }]);
    assert.deepEqual(policyOf([['CONTENT-LENGTH-RANGE', '0', 5]]).conditions, [{ op: 'content-length-range', min: 0, max: 5, text: '["content-length-range", 0, 5]' }]);
  });

  it('an array condition of other than three items, or whose operation is not a string', () => {
    for (const raw of [['eq', '$key'], ['eq', '$key', 'a', 'b'], [], [1, '$key', 'a'], [null, '$key', 'a']]) {
      invalid(() => policyOf([raw]), `Invalid Condition: ${JSON.stringify(raw)}`);
    }
  });

  it('an unknown operation', () => {
    invalid(() => policyOf([['ends-with', '$key', 'a']]), 'Invalid Condition: unknown operation "ends-with".');
    invalid(() => policyOf([['eqs', '$key', 'a']]), 'Invalid Condition: unknown operation "eqs".');
  });

  it('eq and starts-with need "$field" and a string value', () => {
    for (const raw of [['eq', 'key', 'a'], ['eq', 1, 'a'], ['starts-with', '$key', 1], ['starts-with', '$key', null], ['eq', 'x$key', 'a']]) {
      invalid(() => policyOf([raw]), `Invalid Condition: ${JSON.stringify(raw)}`);
    }
  });

  it('content-length-range: whole numbers from 0, as numbers or strings of at most 16 digits', () => {
    assert.deepEqual(policyOf([['content-length-range', 0, '9007199254740991']]).conditions[0], {
      op: 'content-length-range', min: 0, max: Number.MAX_SAFE_INTEGER, text: '["content-length-range", 0, 9007199254740991]',
    });
    // [5] and ['5'] read as '5' if taken for text.
    for (const bad of [-1, 1.5, '1e3', ' 10', '10 ', '-1', '12345678901234567', '9007199254740993', null, true, '', 2 ** 53, '0x10', [5], ['5'], {}]) {
      for (const raw of [['content-length-range', bad, 5], ['content-length-range', 0, bad]]) {
        invalid(() => policyOf([raw]), `Invalid content-length-range: ${JSON.stringify(raw)}`);
      }
    }
  });

  it('an object condition names exactly one field, with a string value', () => {
    for (const raw of [{}, { bucket: 'b', key: 'k' }, { bucket: 1 }, { bucket: null }, { bucket: ['b'] }]) {
      invalid(() => policyOf([raw]), `Invalid Condition: ${JSON.stringify(raw)}`);
    }
  });

  it('anything else is no condition', () => {
    // A one-character string would read as the object { "0": "x" } if taken for one.
    for (const raw of ['bucket', 'x', 1, null, true]) invalid(() => policyOf([raw]), `Invalid Condition: ${JSON.stringify(raw)}`);
  });
});

describe('checkExpiration', () => {
  it('valid up to its expiration, to the millisecond', () => {
    const policy: PostPolicy = { expiration: 1000, conditions: [] };
    checkExpiration(policy, 999);
    checkExpiration(policy, 1000);
    denied(() => checkExpiration(policy, 1001), 'Policy expired.');
  });
});

describe('checkConditions', () => {
  const input = (fields: Record<string, string> = {}, key = 'up/a.txt', keyTemplate = key): PolicyInput => ({ fields: new Map(Object.entries(fields)), bucket: 'bkt', key, keyTemplate });
  const check = (conditions: unknown[], given: PolicyInput = input()) => checkConditions(policyOf(conditions), given);

  it('no size condition: any size; several: the sizes all of them allow', () => {
    assert.deepEqual(check([]), { min: 0, max: Number.MAX_SAFE_INTEGER });
    assert.deepEqual(check([['content-length-range', 5, 100]]), { min: 5, max: 100 });
    assert.deepEqual(check([['content-length-range', 5, 100], ['content-length-range', 10, 50]]), { min: 10, max: 50 });
    assert.deepEqual(check([['content-length-range', 10, 50], ['content-length-range', 5, 100]]), { min: 10, max: 50 });
  });

  it('bucket: the request\'s bucket, whatever a field of that name says', () => {
    check([{ bucket: 'bkt' }], input({ bucket: 'other' }));
    denied(() => check([{ bucket: 'other' }], input({ bucket: 'other' })), 'Policy Condition failed: ["eq", "$bucket", "other"]');
    check([['starts-with', '$bucket', 'bk']]);
  });

  it('key: the key after ${filename}, or with eq the template itself', () => {
    check([['eq', '$key', 'up/a.txt']]);
    check([['starts-with', '$key', 'up/']]);
    check([['eq', '$key', 'up/${filename}']], input({}, 'up/a.txt', 'up/${filename}'));
    denied(() => check([['starts-with', '$key', 'down/']]), 'Policy Condition failed: ["starts-with", "$key", "down/"]');
    denied(() => check([['eq', '$key', 'up/b.txt']], input({}, 'up/a.txt', 'up/${filename}')), 'Policy Condition failed: ["eq", "$key", "up/b.txt"]');
    // starts-with is held against the key, never the template.
    denied(() => check([['starts-with', '$key', 'up/${f']], input({}, 'up/a.txt', 'up/${filename}')), 'Policy Condition failed: ["starts-with", "$key", "up/${f"]');
    denied(() => check([['starts-with', '$key', 'up/${filename}']], input({}, 'up/a.txt', 'up/${filename}')), 'Policy Condition failed: ["starts-with", "$key", "up/${filename}"]');
    // A template without ${filename} is the key: naming something else is no match.
    denied(() => check([['eq', '$key', 'other']], input({}, 'up/a.txt', 'other')), 'Policy Condition failed: ["eq", "$key", "other"]');
  });

  it('other fields: the form\'s value, the empty string when absent', () => {
    check([['eq', '$x-amz-meta-a', 'v']], input({ 'x-amz-meta-a': 'v' }));
    check([['eq', '$x-amz-meta-a', '']]);
    check([['starts-with', '$x-amz-meta-a', '']]);
    denied(() => check([['eq', '$x-amz-meta-a', 'v']], input({ 'x-amz-meta-a': 'vv' })), 'Policy Condition failed: ["eq", "$x-amz-meta-a", "v"]');
    denied(() => check([['starts-with', '$x-amz-meta-a', 'v']]), 'Policy Condition failed: ["starts-with", "$x-amz-meta-a", "v"]');
    check([['starts-with', '$x-amz-meta-a', 'v']], input({ 'x-amz-meta-a': 'value' }));
  });

  it('Content-Type with starts-with: each listed type must match; with eq: the whole value', () => {
    check([['starts-with', '$Content-Type', 'image/']], input({ 'content-type': 'image/png, image/jpeg' }));
    denied(() => check([['starts-with', '$Content-Type', 'image/']], input({ 'content-type': 'image/png, text/html' })), 'Policy Condition failed: ["starts-with", "$Content-Type", "image/"]');
    check([['eq', '$Content-Type', 'image/png, image/jpeg']], input({ 'content-type': 'image/png, image/jpeg' }));
    denied(() => check([['eq', '$Content-Type', 'image/png']], input({ 'content-type': 'image/png, image/jpeg' })), 'Policy Condition failed: ["eq", "$Content-Type", "image/png"]');
    // Another field's value with a comma is one value, and so is an eq on Content-Type (above).
    check([['starts-with', '$x-amz-meta-a', 'a']], input({ 'x-amz-meta-a': 'ab, xc' }));
  });

  it('the first failing condition is the one reported, after the ones that hold', () => {
    denied(() => check([{ bucket: 'bkt' }, ['eq', '$a', 'x'], ['eq', '$b', 'y']], input({ a: 'z', b: 'z' })), 'Policy Condition failed: ["eq", "$a", "x"]');
  });
});

describe('checkCoverage', () => {
  const cover = (conditions: unknown[], fields: Record<string, string>) => checkCoverage(policyOf(conditions), new Map(Object.entries(fields)));

  it('every field must be named by a condition, except the signature, the file, the policy and x-ignore-*', () => {
    cover([{ key: 'k' }], { key: 'k', policy: 'p', file: 'f', 'x-amz-signature': 's', awsaccesskeyid: 'a', signature: 's', 'x-ignore-me': '1' });
    denied(() => cover([{ key: 'k' }], { key: 'k', 'x-amz-meta-a': '1', acl: 'private' }), 'Extra input fields: x-amz-meta-a, acl');
    denied(() => cover([{ key: 'k' }], { key: 'k', 'x-ignor-me': '1' }), 'Extra input fields: x-ignor-me');
    denied(() => cover([{ key: 'k' }], { key: 'k', 'a-x-ignore-': '1' }), 'Extra input fields: a-x-ignore-');
    cover([['starts-with', '$Acl', '']], { acl: 'private' });
  });

  it('a size range names no field', () => {
    denied(() => cover([['content-length-range', 0, 10]], { 'content-length-range': '5' }), 'Extra input fields: content-length-range');
  });
});
