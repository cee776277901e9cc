import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluate, parsePolicy, type RequestPrincipal } from '../../src/iam/index.js';

/**
 * Condition operators and keys, one Allow statement per row: `allowed` says
 * whether the condition block lets the request through. Rows come in groups
 * that flip the outcome by changing one value.
 */

interface Row {
  readonly name: string;
  readonly condition: Record<string, Record<string, unknown>>;
  readonly context?: Record<string, string | string[]>;
  readonly now?: string;
  readonly principal?: RequestPrincipal;
  readonly allowed: boolean;
}

const SHA = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

const ROWS: readonly Row[] = [
  // StringEquals and friends
  { name: 'StringEquals matches', condition: { StringEquals: { 'aws:username': 'alice' } }, allowed: true },
  { name: 'StringEquals is case-sensitive on values', condition: { StringEquals: { 'aws:username': 'Alice' } }, allowed: false },
  { name: 'StringEquals key names are case-insensitive', condition: { StringEquals: { 'AWS:UserName': 'alice' } }, allowed: true },
  { name: 'StringEquals values are OR\'d', condition: { StringEquals: { 'aws:username': ['bob', 'alice'] } }, allowed: true },
  { name: 'StringEquals with no listed value', condition: { StringEquals: { 'aws:username': ['bob', 'carol'] } }, allowed: false },
  { name: 'StringEquals on an absent key is false', condition: { StringEquals: { 's3:prefix': 'a/' } }, allowed: false },
  { name: 'StringEquals s3:delimiter', condition: { StringEquals: { 's3:delimiter': '/' } }, context: { 's3:delimiter': '/' }, allowed: true },
  { name: 'StringEquals s3:signatureversion rejects SigV2', condition: { StringEquals: { 's3:signatureversion': 'AWS4-HMAC-SHA256' } }, context: { 's3:signatureversion': 'AWS' }, allowed: false },
  { name: 'StringEquals s3:signatureversion accepts SigV4', condition: { StringEquals: { 's3:signatureversion': 'AWS4-HMAC-SHA256' } }, context: { 's3:signatureversion': 'AWS4-HMAC-SHA256' }, allowed: true },
  { name: 'StringEquals s3:x-amz-content-sha256', condition: { StringEquals: { 's3:x-amz-content-sha256': SHA } }, context: { 's3:x-amz-content-sha256': SHA }, allowed: true },
  { name: 'StringEquals s3:x-amz-content-sha256 refuses UNSIGNED-PAYLOAD', condition: { StringEquals: { 's3:x-amz-content-sha256': SHA } }, context: { 's3:x-amz-content-sha256': 'UNSIGNED-PAYLOAD' }, allowed: false },
  { name: 'StringNotEquals holds for another value', condition: { StringNotEquals: { 's3:prefix': 'secret/' } }, context: { 's3:prefix': 'public/' }, allowed: true },
  { name: 'StringNotEquals fails for a listed value', condition: { StringNotEquals: { 's3:prefix': ['x/', 'secret/'] } }, context: { 's3:prefix': 'secret/' }, allowed: false },
  { name: 'StringNotEquals holds for an absent key', condition: { StringNotEquals: { 's3:prefix': 'secret/' } }, allowed: true },
  { name: 'StringEqualsIgnoreCase s3:authType', condition: { StringEqualsIgnoreCase: { 's3:authType': 'rest-query-string' } }, context: { 's3:authType': 'REST-QUERY-STRING' }, allowed: true },
  { name: 'StringEqualsIgnoreCase still compares text', condition: { StringEqualsIgnoreCase: { 's3:authType': 'rest-query-string' } }, context: { 's3:authType': 'REST-HEADER' }, allowed: false },
  { name: 'StringNotEqualsIgnoreCase', condition: { StringNotEqualsIgnoreCase: { 's3:authType': 'post' } }, context: { 's3:authType': 'POST' }, allowed: false },
  { name: 'StringLike * spans slashes', condition: { StringLike: { 's3:prefix': 'home/alice/*' } }, context: { 's3:prefix': 'home/alice/docs/2024/' }, allowed: true },
  { name: 'StringLike refuses another prefix', condition: { StringLike: { 's3:prefix': 'home/alice/*' } }, context: { 's3:prefix': 'home/bob/' }, allowed: false },
  { name: 'StringLike ? is one character', condition: { StringLike: { 's3:prefix': 'v?/' } }, context: { 's3:prefix': 'v1/' }, allowed: true },
  { name: 'StringLike ? is not two', condition: { StringLike: { 's3:prefix': 'v?/' } }, context: { 's3:prefix': 'v10/' }, allowed: false },
  { name: 'StringLike with ${aws:username}', condition: { StringLike: { 's3:prefix': 'home/${aws:username}/*' } }, context: { 's3:prefix': 'home/alice/x' }, allowed: true },
  { name: 'StringLike with ${aws:username} for bob', condition: { StringLike: { 's3:prefix': 'home/${aws:username}/*' } }, context: { 's3:prefix': 'home/alice/x' }, principal: { kind: 'user', name: 'bob' }, allowed: false },
  { name: 'StringEquals with ${aws:userid}', condition: { StringEquals: { 's3:prefix': '${aws:userid}' } }, context: { 's3:prefix': 'alice' }, allowed: true },
  { name: 'StringNotLike holds outside the pattern', condition: { StringNotLike: { 's3:prefix': 'private/*' } }, context: { 's3:prefix': 'public/x' }, allowed: true },
  { name: 'StringNotLike fails inside the pattern', condition: { StringNotLike: { 's3:prefix': 'private/*' } }, context: { 's3:prefix': 'private/x' }, allowed: false },
  { name: 'StringNotLike holds for an absent key', condition: { StringNotLike: { 's3:prefix': 'private/*' } }, allowed: true },

  // Numeric
  { name: 'NumericLessThanEquals at the bound', condition: { NumericLessThanEquals: { 's3:max-keys': '100' } }, context: { 's3:max-keys': '100' }, allowed: true },
  { name: 'NumericLessThanEquals above the bound', condition: { NumericLessThanEquals: { 's3:max-keys': '100' } }, context: { 's3:max-keys': '101' }, allowed: false },
  { name: 'NumericLessThan s3:signatureAge inside', condition: { NumericLessThan: { 's3:signatureAge': 600000 } }, context: { 's3:signatureAge': '599999' }, allowed: true },
  { name: 'NumericLessThan s3:signatureAge at the bound', condition: { NumericLessThan: { 's3:signatureAge': 600000 } }, context: { 's3:signatureAge': '600000' }, allowed: false },
  { name: 'NumericEquals compares numbers, not text', condition: { NumericEquals: { 's3:max-keys': '10' } }, context: { 's3:max-keys': '10.0' }, allowed: true },
  { name: 'NumericNotEquals', condition: { NumericNotEquals: { 's3:max-keys': '10' } }, context: { 's3:max-keys': '10' }, allowed: false },
  { name: 'NumericGreaterThan', condition: { NumericGreaterThan: { 's3:max-keys': '5' } }, context: { 's3:max-keys': '6' }, allowed: true },
  { name: 'NumericGreaterThan at the bound', condition: { NumericGreaterThan: { 's3:max-keys': '5' } }, context: { 's3:max-keys': '5' }, allowed: false },
  { name: 'NumericGreaterThanEquals at the bound', condition: { NumericGreaterThanEquals: { 's3:max-keys': '5' } }, context: { 's3:max-keys': '5' }, allowed: true },
  { name: 'Numeric operators refuse a non-number', condition: { NumericLessThan: { 's3:max-keys': '100' } }, context: { 's3:max-keys': 'lots' }, allowed: false },
  { name: 'NumericNotEquals refuses a non-number too', condition: { NumericNotEquals: { 's3:max-keys': '100' } }, context: { 's3:max-keys': 'lots' }, allowed: false },
  { name: 'Numeric on an absent key is false', condition: { NumericLessThan: { 's3:max-keys': '100' } }, allowed: false },
  { name: 'IfExists passes an absent key', condition: { NumericLessThanIfExists: { 's3:max-keys': '100' } }, allowed: true },
  { name: 'IfExists still checks a present key', condition: { NumericLessThanIfExists: { 's3:max-keys': '100' } }, context: { 's3:max-keys': '2000' }, allowed: false },

  // Dates
  { name: 'DateLessThan aws:CurrentTime before', condition: { DateLessThan: { 'aws:CurrentTime': '2030-01-01T00:00:00Z' } }, now: '2029-12-31T23:59:59Z', allowed: true },
  { name: 'DateLessThan aws:CurrentTime after', condition: { DateLessThan: { 'aws:CurrentTime': '2030-01-01T00:00:00Z' } }, now: '2030-01-01T00:00:00Z', allowed: false },
  { name: 'DateGreaterThan with a date-only value', condition: { DateGreaterThan: { 'aws:CurrentTime': '2025-06-01' } }, now: '2025-06-01T00:00:01Z', allowed: true },
  { name: 'DateGreaterThan before a date-only value', condition: { DateGreaterThan: { 'aws:CurrentTime': '2025-06-01' } }, now: '2025-05-31T23:59:59Z', allowed: false },
  { name: 'Date compares aws:EpochTime to epoch seconds', condition: { DateGreaterThanEquals: { 'aws:EpochTime': 1700000000 } }, now: '2023-11-14T22:13:20Z', allowed: true },
  { name: 'Date compares aws:EpochTime one second early', condition: { DateGreaterThanEquals: { 'aws:EpochTime': 1700000000 } }, now: '2023-11-14T22:13:19Z', allowed: false },
  { name: 'Date mixes ISO policy value and epoch request', condition: { DateLessThan: { 'aws:EpochTime': '2023-11-14T22:13:21Z' } }, now: '2023-11-14T22:13:20Z', allowed: true },
  { name: 'Date with an offset zone', condition: { DateLessThan: { 'aws:CurrentTime': '2030-01-01T02:00:00+02:00' } }, now: '2030-01-01T00:00:00Z', allowed: false },
  { name: 'a server-supplied aws:CurrentTime wins over now', condition: { DateLessThan: { 'aws:CurrentTime': '2030-01-01T00:00:00Z' } }, context: { 'aws:CurrentTime': '2031-01-01T00:00:00Z' }, now: '2020-01-01T00:00:00Z', allowed: false },
  { name: 'DateLessThan on an absent time is false', condition: { DateLessThan: { 'aws:CurrentTime': '2030-01-01T00:00:00Z' } }, allowed: false },

  // Bool
  { name: 'Bool aws:SecureTransport true', condition: { Bool: { 'aws:SecureTransport': 'true' } }, context: { 'aws:SecureTransport': 'true' }, allowed: true },
  { name: 'Bool aws:SecureTransport false', condition: { Bool: { 'aws:SecureTransport': 'true' } }, context: { 'aws:SecureTransport': 'false' }, allowed: false },
  { name: 'Bool accepts a JSON boolean', condition: { Bool: { 'aws:SecureTransport': true } }, context: { 'aws:SecureTransport': 'TRUE' }, allowed: true },
  { name: 'Bool on an absent key is false', condition: { Bool: { 'aws:SecureTransport': 'false' } }, allowed: false },
  { name: 'BoolIfExists on an absent key', condition: { BoolIfExists: { 'aws:SecureTransport': 'false' } }, allowed: true },

  // IP addresses
  { name: 'IpAddress inside an IPv4 /24', condition: { IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } }, context: { 'aws:SourceIp': '203.0.113.77' }, allowed: true },
  { name: 'IpAddress outside an IPv4 /24', condition: { IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } }, context: { 'aws:SourceIp': '203.0.114.1' }, allowed: false },
  { name: 'IpAddress with a bare address', condition: { IpAddress: { 'aws:SourceIp': '198.51.100.7' } }, context: { 'aws:SourceIp': '198.51.100.8' }, allowed: false },
  { name: 'IpAddress blocks are OR\'d', condition: { IpAddress: { 'aws:SourceIp': ['10.0.0.0/8', '192.168.0.0/16'] } }, context: { 'aws:SourceIp': '192.168.4.2' }, allowed: true },
  { name: 'IpAddress inside an IPv6 /32', condition: { IpAddress: { 'aws:SourceIp': '2001:db8::/32' } }, context: { 'aws:SourceIp': '2001:db8:1::5' }, allowed: true },
  { name: 'IpAddress outside an IPv6 /32', condition: { IpAddress: { 'aws:SourceIp': '2001:db8::/32' } }, context: { 'aws:SourceIp': '2001:db9::5' }, allowed: false },
  { name: 'IpAddress IPv6 /127 edge', condition: { IpAddress: { 'aws:SourceIp': '2001:db8::2/127' } }, context: { 'aws:SourceIp': '2001:db8::3' }, allowed: true },
  { name: 'IpAddress IPv4-mapped IPv6 request', condition: { IpAddress: { 'aws:SourceIp': '192.0.2.0/24' } }, context: { 'aws:SourceIp': '::ffff:192.0.2.7' }, allowed: true },
  { name: 'IpAddress IPv4 request vs IPv6 block', condition: { IpAddress: { 'aws:SourceIp': '::/0' } }, context: { 'aws:SourceIp': '192.0.2.7' }, allowed: false },
  { name: 'NotIpAddress outside the block', condition: { NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } }, context: { 'aws:SourceIp': '11.0.0.1' }, allowed: true },
  { name: 'NotIpAddress inside the block', condition: { NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } }, context: { 'aws:SourceIp': '10.200.0.1' }, allowed: false },
  { name: 'NotIpAddress on an absent key holds', condition: { NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } }, allowed: true },
  { name: 'IpAddress on an unparseable address', condition: { IpAddress: { 'aws:SourceIp': '0.0.0.0/0' } }, context: { 'aws:SourceIp': 'not-an-ip' }, allowed: false },

  // Null
  { name: 'Null false: key present', condition: { Null: { 's3:x-amz-content-sha256': 'false' } }, context: { 's3:x-amz-content-sha256': SHA }, allowed: true },
  { name: 'Null false: key absent', condition: { Null: { 's3:x-amz-content-sha256': 'false' } }, allowed: false },
  { name: 'Null true: key absent', condition: { Null: { 's3:prefix': true } }, allowed: true },
  { name: 'Null true: key present', condition: { Null: { 's3:prefix': 'true' } }, context: { 's3:prefix': 'a' }, allowed: false },
  { name: 'Null treats an empty list as absent', condition: { Null: { 's3:prefix': 'true' } }, context: { 's3:prefix': [] }, allowed: true },

  // Set operators on multi-valued keys
  { name: 'ForAnyValue: one value matches', condition: { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['b', 'c'] } }, context: { 'aws:TagKeys': ['a', 'b'] }, allowed: true },
  { name: 'ForAnyValue: no value matches', condition: { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['b', 'c'] } }, context: { 'aws:TagKeys': ['a', 'd'] }, allowed: false },
  { name: 'ForAnyValue: absent key is false', condition: { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['b'] } }, allowed: false },
  { name: 'ForAllValues: every value matches', condition: { 'ForAllValues:StringLike': { 'aws:TagKeys': 'project-*' } }, context: { 'aws:TagKeys': ['project-a', 'project-b'] }, allowed: true },
  { name: 'ForAllValues: one value does not', condition: { 'ForAllValues:StringLike': { 'aws:TagKeys': 'project-*' } }, context: { 'aws:TagKeys': ['project-a', 'cost'] }, allowed: false },
  { name: 'ForAllValues: absent key is true', condition: { 'ForAllValues:StringLike': { 'aws:TagKeys': 'project-*' } }, allowed: true },
  { name: 'ForAllValues:StringNotEquals: none listed', condition: { 'ForAllValues:StringNotEquals': { 'aws:TagKeys': ['secret'] } }, context: { 'aws:TagKeys': ['a', 'b'] }, allowed: true },
  { name: 'ForAllValues:StringNotEquals: one listed', condition: { 'ForAllValues:StringNotEquals': { 'aws:TagKeys': ['secret'] } }, context: { 'aws:TagKeys': ['a', 'secret'] }, allowed: false },
  { name: 'ForAnyValue:StringNotLike: one outside', condition: { 'ForAnyValue:StringNotLike': { 'aws:TagKeys': 'p-*' } }, context: { 'aws:TagKeys': ['p-1', 'q'] }, allowed: true },
  { name: 'ForAnyValue:StringNotLike: all inside', condition: { 'ForAnyValue:StringNotLike': { 'aws:TagKeys': 'p-*' } }, context: { 'aws:TagKeys': ['p-1', 'p-2'] }, allowed: false },
  { name: 'ForAnyValue:StringEqualsIfExists: absent key', condition: { 'ForAnyValue:StringEqualsIfExists': { 'aws:TagKeys': 'a' } }, allowed: true },
  { name: 'no qualifier on a multi-valued key: negation of any', condition: { StringNotEquals: { 'aws:TagKeys': 'a' } }, context: { 'aws:TagKeys': ['a', 'b'] }, allowed: false },

  // Combination: keys and operators are AND'd
  { name: 'two keys both hold', condition: { StringEquals: { 'aws:username': 'alice', 's3:prefix': 'home/' } }, context: { 's3:prefix': 'home/' }, allowed: true },
  { name: 'two keys, one fails', condition: { StringEquals: { 'aws:username': 'alice', 's3:prefix': 'home/' } }, context: { 's3:prefix': 'root/' }, allowed: false },
  { name: 'two operators, one fails', condition: { StringEquals: { 'aws:username': 'alice' }, IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } }, context: { 'aws:SourceIp': '8.8.8.8' }, allowed: false },
  { name: 'two operators both hold', condition: { StringEquals: { 'aws:username': 'alice' }, IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } }, context: { 'aws:SourceIp': '10.1.1.1' }, allowed: true },

  // ARN operators check each ARN part separately
  { name: 'ArnLike matches within the resource part', condition: { ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::latchkey:user/a*' } }, allowed: true },
  { name: 'ArnLike * does not span colons', condition: { ArnLike: { 'aws:PrincipalArn': 'arn:aws:*user/alice' } }, allowed: false },
  { name: 'ArnNotEquals', condition: { ArnNotEquals: { 'aws:PrincipalArn': 'arn:aws:iam::latchkey:user/alice' } }, allowed: false },
];

function decide(row: Row): string {
  const policy = parsePolicy({ Version: '2012-10-17', Statement: { Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: row.condition } });
  return evaluate({
    identityPolicies: [policy],
    request: {
      principal: row.principal ?? { kind: 'user', name: 'alice' },
      action: 's3:ListBucket',
      resource: 'arn:aws:s3:::photos',
      conditions: row.context ?? {},
    },
    ...(row.now !== undefined ? { now: Date.parse(row.now) } : {}),
  }).decision;
}

describe('conditions', () => {
  for (const row of ROWS) {
    it(row.name, () => assert.equal(decide(row), row.allowed ? 'allow' : 'implicit-deny'));
  }

  it('covers every operator family with both outcomes', () => {
    const ops = new Set(ROWS.flatMap((r) => Object.keys(r.condition)));
    for (const op of ['StringEquals', 'StringNotEquals', 'StringEqualsIgnoreCase', 'StringLike', 'StringNotLike', 'NumericEquals', 'NumericLessThan', 'NumericLessThanEquals', 'NumericGreaterThan', 'NumericGreaterThanEquals', 'DateLessThan', 'DateGreaterThan', 'Bool', 'IpAddress', 'NotIpAddress', 'Null']) {
      assert.ok(ops.has(op), op);
    }
    assert.ok(ROWS.filter((r) => r.allowed).length > 20 && ROWS.filter((r) => !r.allowed).length > 20);
  });
});
