import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cidrContains, matchWildcard, parseCidr, parseIp } from '../../src/iam/index.js';
import { expandVariables, type ContextValues } from '../../src/iam/policy-variables.js';
import type { PolicyVersion } from '../../src/iam/policy-types.js';

/** The expansion as plain text, wildcards or not. */
const expandToString = (text: string, version: PolicyVersion, context: ContextValues) => expandVariables(text, version, context)?.map((p) => p.text).join('');

describe('matchWildcard', () => {
  const rows: ReadonlyArray<readonly [pattern: string, input: string, expected: boolean, ignoreCase?: boolean]> = [
    ['abc', 'abc', true],
    ['abc', 'abd', false],
    ['abc', 'ab', false],
    ['*', '', true],
    ['a*', 'a', true],
    ['a*c', 'abbbc', true],
    ['a*c', 'abbbd', false],
    ['*/*', 'a/b/c', true],
    ['*/*', 'abc', false],
    ['a?c', 'abc', true],
    ['a?c', 'ac', false],
    ['a**b', 'ab', true],
    ['*a*a*a*b', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', false],
    ['ABC', 'abc', false],
    ['ABC', 'abc', true, true],
    ['caf?', 'café', true],
    ['?', '😀', true],
  ];
  for (const [pattern, input, expected, ignoreCase] of rows) {
    it(`${pattern} ~ ${input}${ignoreCase ? ' (ignore case)' : ''} is ${expected}`, () => {
      assert.equal(matchWildcard(pattern, input, ignoreCase), expected);
    });
  }

  it('stays fast on a pathological pattern', () => {
    const started = process.hrtime.bigint();
    assert.equal(matchWildcard('*a'.repeat(50) + 'b', 'a'.repeat(5000)), false);
    assert.ok(process.hrtime.bigint() - started < 2_000_000_000n);
  });
});

describe('IP addresses and CIDR blocks', () => {
  const rows: ReadonlyArray<readonly [block: string, ip: string, expected: boolean]> = [
    ['0.0.0.0/0', '255.255.255.255', true],
    ['10.1.2.3/32', '10.1.2.3', true],
    ['10.1.2.3/32', '10.1.2.4', false],
    ['10.1.2.3/8', '10.200.0.0', true],
    ['172.16.0.0/12', '172.31.255.255', true],
    ['172.16.0.0/12', '172.32.0.0', false],
    ['::1', '::1', true],
    ['::1/128', '::2', false],
    ['fe80::/10', 'fe80::1%eth0', true],
    ['2001:db8::/48', '2001:0db8:0000:ffff::1', true],
    ['2001:db8::/48', '2001:db8:1::1', false],
    ['64:ff9b::/96', '64:ff9b::192.0.2.33', true],
    ['192.0.2.0/24', '::ffff:192.0.2.33', true],
    ['::ffff:0:0/96', '192.0.2.33', false],
  ];
  for (const [block, ip, expected] of rows) {
    it(`${ip} in ${block} is ${expected}`, () => {
      const b = parseCidr(block);
      const a = parseIp(ip);
      assert.ok(b && a);
      assert.equal(cidrContains(b, a), expected);
    });
  }

  for (const bad of ['1.2.3', '1.2.3.4.5', '256.0.0.1', '01.2.3.4', '1.2.3.4/', '1.2.3.4/-1', '1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', 'g::1', '1:2:3:4:5:6:7::8:9', '']) {
    it(`refuses ${JSON.stringify(bad)}`, () => assert.equal(parseCidr(bad), undefined));
  }

  it('reads a full eight-group address and a trailing ::', () => {
    assert.equal(parseIp('1:2:3:4:5:6:7:8')?.value, 0x00010002000300040005000600070008n);
    assert.equal(parseIp('1::')?.value, 1n << 112n);
  });
});

describe('policy variables', () => {
  const context = new Map<string, readonly string[]>([
    ['aws:username', ['alice']],
    ['aws:tagkeys', ['a', 'b']],
  ]);

  it('substitutes single values and keeps the rest wildcard-capable', () => {
    assert.deepEqual(expandVariables('home/${aws:username}/*', '2012-10-17', context), [
      { text: 'home/', wild: true },
      { text: 'alice', wild: false },
      { text: '/*', wild: true },
    ]);
  });

  it('turns the escapes into literal text', () => {
    assert.equal(expandToString('${*}${?}${$}', '2012-10-17', context), '*?$');
    assert.deepEqual(expandVariables('${*}', '2012-10-17', context), [{ text: '*', wild: false }]);
  });

  it('uses a default, with doubled quotes, only when the key has no single value', () => {
    assert.equal(expandToString("${aws:userid, 'it''s'}", '2012-10-17', context), "it's");
    assert.equal(expandToString("${aws:username, 'x'}", '2012-10-17', context), 'alice');
    assert.equal(expandToString("${aws:TagKeys, 'many'}", '2012-10-17', context), 'many');
  });

  it('fails on a missing or multi-valued key without default', () => {
    assert.equal(expandVariables('${aws:userid}', '2012-10-17', context), undefined);
    assert.equal(expandVariables('${aws:TagKeys}', '2012-10-17', context), undefined);
  });

  it('leaves text that is not a variable alone', () => {
    assert.equal(expandToString('a${}b${ spaced out }', '2012-10-17', context), 'a${}b${ spaced out }');
  });

  it('does nothing under Version 2008-10-17', () => {
    assert.deepEqual(expandVariables('${aws:username}', '2008-10-17', context), [{ text: '${aws:username}', wild: true }]);
  });
});
