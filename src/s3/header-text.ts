import { isUtf8 } from 'node:buffer';

/*
 * Non-ASCII text in HTTP headers. Node hands header values over with one
 * character per byte (latin1); clients such as boto3 send UTF-8 bytes there
 * and sign them as UTF-8 text. S3 stores such user metadata as Unicode, also
 * accepts RFC 2047 encoded-words, and returns non-ASCII values RFC 2047
 * encoded ("=?UTF-8?B?…?="), since a response header cannot carry them raw.
 */

const NON_ASCII = /[^\x00-\x7f]/;

/**
 * A header value as the text its client meant and signed: its bytes read as
 * UTF-8 when they are UTF-8 (boto3 on urllib3 2), else one character per byte
 * (Node's http client writes text up to U+00FF so, and the JS SDK signs it so).
 */
export function headerText(value: string): string {
  if (!NON_ASCII.test(value)) return value;
  const bytes = Buffer.from(value, 'latin1');
  return isUtf8(bytes) ? bytes.toString('utf8') : value;
}

export function hasNonAscii(value: string): boolean {
  return NON_ASCII.test(value);
}

const ENCODED_WORD = /=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=/g;
/** Linear white space between two encoded-words is not part of the text (RFC 2047 §6.2). */
const BETWEEN_WORDS = /(\?=)\s+(?==\?)/g;
const CHARSETS = new Map<string, BufferEncoding>([['utf-8', 'utf8'], ['us-ascii', 'latin1'], ['iso-8859-1', 'latin1']]);

/** Decodes the RFC 2047 encoded-words of a value; a word in a charset we do not know stays as it is. */
export function decodeEncodedWords(value: string): string {
  if (!value.includes('=?')) return value;
  return value.replace(BETWEEN_WORDS, '$1').replace(ENCODED_WORD, (word, charset: string, kind: string, text: string) => {
    const encoding = CHARSETS.get(charset.toLowerCase().replace(/\*.*$/, ''));
    if (encoding === undefined) return word;
    const bytes = kind.toUpperCase() === 'B'
      ? Buffer.from(text, 'base64')
      : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1');
    return bytes.toString(encoding);
  });
}

/** A value as a response header can carry it: non-ASCII text as one UTF-8 "B" encoded-word, as S3 returns it. */
export function encodeForHeader(value: string): string {
  return NON_ASCII.test(value) ? `=?UTF-8?B?${Buffer.from(value, 'utf8').toString('base64')}?=` : value;
}
