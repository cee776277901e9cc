/**
 * AWS's URI encoding: every byte except the unreserved set A-Z a-z 0-9 - _ . ~
 * is %XX-encoded with upper-case hex. encodeURIComponent leaves !'()* alone,
 * so those are finished by hand.
 */
const UNRESERVED = /^[A-Za-z0-9._~-]*$/;
const UNRESERVED_OR_SLASH = /^[A-Za-z0-9._~/-]*$/;

export function uriEncode(value: string, keepSlash = false): string {
  // Most names, values and keys need no escaping at all: skip the encoder for them.
  if ((keepSlash ? UNRESERVED_OR_SLASH : UNRESERVED).test(value)) return value;
  // encodeURIComponent throws on a lone surrogate; UTF-8 (Buffer, TextEncoder) turns it into U+FFFD, so do the same.
  const encoded = encodeURIComponent(value.replace(LONE_SURROGATE, '\uFFFD')).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return keepSlash ? encoded.replace(/%2F/g, '/') : encoded;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const PERCENT_RUN = /(?:%[0-9A-Fa-f]{2})+/g;

/**
 * Percent-decoding that never throws: malformed escapes stay literal and
 * invalid UTF-8 becomes U+FFFD, which then fails signature checks instead of
 * crashing the parser.
 */
export function percentDecode(value: string, plusIsSpace = false): string {
  const text = plusIsSpace && value.includes('+') ? value.replace(/\+/g, ' ') : value;
  if (!text.includes('%')) return text;
  return text.replace(PERCENT_RUN, decodeRun);
}

/** One run of %XX escapes: ASCII ones (a credential's %2F) one character each, anything else as UTF-8. */
function decodeRun(run: string): string {
  let ascii = '';
  for (let i = 0; i < run.length; i += 3) {
    const code = parseInt(run.slice(i + 1, i + 3), 16);
    // Buffer's UTF-8 decoding replaces invalid sequences with U+FFFD, as a non-fatal TextDecoder does.
    if (code >= 0x80) return Buffer.from(run.replace(/%/g, ''), 'hex').toString('utf8');
    ascii += String.fromCharCode(code);
  }
  return ascii;
}
