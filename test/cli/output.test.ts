import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatFields, formatJson, formatList, formatTable, formatTime } from '../../src/cli/output.js';

describe('table formatting', () => {
  it('aligns every column to its widest cell, two spaces apart, without trailing blanks', () => {
    const text = formatTable(
      ['NAME', 'STATUS', 'POLICIES'],
      [
        ['alice', 'active', 'readers,writers'],
        ['bartholomew', 'disabled', '-'],
      ],
    );
    assert.equal(
      text,
      'NAME         STATUS    POLICIES\n' + //
        'alice        active    readers,writers\n' +
        'bartholomew  disabled  -\n',
    );
    for (const line of text.split('\n')) assert.equal(line, line.trimEnd());
  });

  it('a header wider than its cells sets the width; a short last column adds no padding', () => {
    assert.equal(formatTable(['ACCESS KEY ID', 'X'], [['AK', 'longer value']]), 'ACCESS KEY ID  X\nAK             longer value\n');
  });

  it('missing and empty cells stay aligned', () => {
    assert.equal(formatTable(['A', 'B', 'C'], [['', 'b'], ['aaa', '', 'c']]), 'A    B  C\n     b\naaa     c\n');
  });

  it('a table with no rows is just its header', () => {
    assert.equal(formatTable(['NAME', 'STATUS'], []), 'NAME  STATUS\n');
  });

  it('counts code points, not UTF-16 units', () => {
    // U+1D49C is one column wide but two UTF-16 units.
    assert.equal(formatTable(['N', 'X'], [['\u{1D49C}b', 'y'], ['ab', 'z']]), 'N   X\n\u{1D49C}b  y\nab  z\n');
  });
});

describe('field and value formatting', () => {
  it('aligns labels', () => {
    assert.equal(formatFields([['Name', 'alice'], ['Policies', '-']]), 'Name      alice\nPolicies  -\n');
  });

  it('times are shown to the second; null is "-"', () => {
    assert.equal(formatTime('2025-01-02T03:04:05.678Z'), '2025-01-02T03:04:05Z');
    assert.equal(formatTime('2025-01-02T03:04:05Z'), '2025-01-02T03:04:05Z');
    assert.equal(formatTime(null), '-');
  });

  it('lists join with commas; empty is "-"', () => {
    assert.equal(formatList(['a', 'b']), 'a,b');
    assert.equal(formatList([]), '-');
  });

  it('JSON is one pretty document ending in a newline', () => {
    assert.equal(formatJson({ a: [1] }), '{\n  "a": [\n    1\n  ]\n}\n');
  });
});
