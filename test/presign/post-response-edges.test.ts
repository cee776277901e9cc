import assert from 'node:assert/strict';
import { ServerResponse, type IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { RequestContext } from '../../src/s3/context.js';
import { answerUpload, type StoredUpload } from '../../src/s3/post-object/post-response.js';

/*
 * S3's answers to a stored form upload (post-response.ts) in-process: the
 * status, headers and body answerUpload gives for each success_action_status,
 * success_action_redirect (and the older `redirect`) and way the client
 * addressed the server, written to a real node:http ServerResponse (so a
 * header value Node would refuse fails here too). Where
 * test/presign/post-policy.test.ts checks a few of them through a server, this
 * pins each rule at its edges. The mutation target `post` runs it first
 * (docs/testing.md).
 */

const ETAG = '0123456789abcdef0123456789abcdef';
const QUOTED = `"${ETAG}"`;
const STORED: StoredUpload = { bucket: 'bkt', key: 'dir/a b+c.txt', etag: ETAG, virtualHosted: false };
const PATH_LOCATION = 'http://h.example:9000/bkt/dir/a%20b%2Bc.txt';

interface Answer {
  readonly status: number;
  readonly headers: Record<string, unknown>;
  readonly body: string;
}

interface Addressed {
  readonly host?: string;
  readonly tls?: boolean;
}

/** The answer to a form with these fields, the object stored as `stored`, on a request addressed so. */
function answer(fields: Record<string, string>, stored: StoredUpload = STORED, addressed: Addressed = {}): Answer {
  const headers: Record<string, string> = addressed.host === '' ? {} : { host: addressed.host ?? 'h.example:9000' };
  const req = {
    method: 'POST',
    url: `/${stored.bucket}`,
    httpVersionMajor: 1,
    httpVersionMinor: 1,
    headers,
    rawHeaders: Object.entries(headers).flat(),
    headersDistinct: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    socket: addressed.tls === true ? { encrypted: true, remoteAddress: '127.0.0.1' } : { remoteAddress: '127.0.0.1' },
  } as unknown as IncomingMessage;
  const res = new ServerResponse(req);
  let body = '';
  const end = res.end.bind(res);
  res.end = ((chunk?: string | Buffer) => {
    if (chunk !== undefined) body += chunk.toString();
    return end();
  }) as typeof res.end;
  answerUpload(new RequestContext(req, res), new Map(Object.entries(fields)), stored);
  assert.ok(res.writableEnded, 'the answer is ended');
  return { status: res.statusCode, headers: { ...res.getHeaders() }, body };
}

const empty = (status: number, location = PATH_LOCATION): Answer => ({
  status,
  headers: status === 204 ? { etag: QUOTED, location } : { etag: QUOTED, location, 'content-length': 0 },
  body: '',
});

const postResponse = (location: string, stored: StoredUpload = STORED): string =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<PostResponse><Location>${location}</Location><Bucket>${stored.bucket}</Bucket>` +
  `<Key>${stored.key}</Key><ETag>&quot;${ETAG}&quot;</ETag></PostResponse>`;

const redirected = (location: string): Answer => ({ status: 303, headers: { location, etag: QUOTED, 'content-length': 0 }, body: '' });
const ADDED = `bucket=bkt&key=dir%2Fa%20b%2Bc.txt&etag=%22${ETAG}%22`;

describe('answerUpload: success_action_status', () => {
  it('none: 204 with the ETag and the new object\'s URL, no body', () => {
    assert.deepEqual(answer({}), empty(204));
  });

  it('200: an empty 200', () => {
    assert.deepEqual(answer({ success_action_status: '200' }), empty(200));
  });

  it('201: the PostResponse document, its ETag and Location headers too', () => {
    const body = postResponse(PATH_LOCATION);
    assert.deepEqual(answer({ success_action_status: '201' }), {
      status: 201,
      headers: { etag: QUOTED, location: PATH_LOCATION, 'content-type': 'application/xml', 'content-length': body.length },
      body,
    });
  });

  it('201 escapes the key in the document', () => {
    const stored = { ...STORED, key: `<&'">\r.txt` };
    const location = 'http://h.example:9000/bkt/%3C%26%27%22%3E%0D.txt';
    const { status, body } = answer({ success_action_status: '201' }, stored);
    assert.equal(status, 201);
    assert.equal(
      body,
      `<?xml version="1.0" encoding="UTF-8"?>\n<PostResponse><Location>${location}</Location><Bucket>bkt</Bucket>` +
        `<Key>&lt;&amp;&apos;&quot;&gt;&#13;.txt</Key><ETag>&quot;${ETAG}&quot;</ETag></PostResponse>`,
    );
  });

  it('any other value, 204 itself included: 204', () => {
    for (const status of ['204', '202', '302', '400', '2010', ' 201', '201 ', '', 'two hundred']) assert.deepEqual(answer({ success_action_status: status }), empty(204), status);
  });
});

describe('answerUpload: the object\'s URL (Location)', () => {
  it('path-style: /bucket/key, the key encoded but its slashes kept', () => {
    assert.equal(answer({}).headers['location'], PATH_LOCATION);
  });

  it('virtual-hosted: /key on the host the client used', () => {
    const stored = { ...STORED, virtualHosted: true };
    assert.deepEqual(answer({}, stored, { host: 'bkt.s3.example' }), empty(204, 'http://bkt.s3.example/dir/a%20b%2Bc.txt'));
    assert.equal(answer({ success_action_status: '201' }, stored, { host: 'bkt.s3.example' }).body, postResponse('http://bkt.s3.example/dir/a%20b%2Bc.txt', stored));
  });

  it('https when the connection is TLS', () => {
    assert.deepEqual(answer({}, STORED, { tls: true }), empty(204, 'https://h.example:9000/bkt/dir/a%20b%2Bc.txt'));
  });

  it('localhost when the request named no host', () => {
    assert.deepEqual(answer({}, STORED, { host: '' }), empty(204, 'http://localhost/bkt/dir/a%20b%2Bc.txt'));
  });
});

describe('answerUpload: success_action_redirect', () => {
  it('303 to the URL with bucket, key (slashes encoded) and the quoted ETag added to its query', () => {
    assert.deepEqual(answer({ success_action_redirect: 'https://app.example.com/done?from=form' }), redirected(`https://app.example.com/done?from=form&${ADDED}`));
  });

  it('a URL without a query gets one; one ending in ? or & gets no second separator', () => {
    assert.deepEqual(answer({ success_action_redirect: 'https://app.example.com/done' }), redirected(`https://app.example.com/done?${ADDED}`));
    assert.deepEqual(answer({ success_action_redirect: 'https://app.example.com/done?' }), redirected(`https://app.example.com/done?${ADDED}`));
    assert.deepEqual(answer({ success_action_redirect: 'https://app.example.com/done?a=1&' }), redirected(`https://app.example.com/done?a=1&${ADDED}`));
  });

  it('the query goes before the fragment, which is kept whole', () => {
    assert.deepEqual(answer({ success_action_redirect: 'http://app.example.com/p#top' }), redirected(`http://app.example.com/p?${ADDED}#top`));
    assert.deepEqual(answer({ success_action_redirect: 'http://app.example.com/p?q=1#a#b' }), redirected(`http://app.example.com/p?q=1&${ADDED}#a#b`));
    assert.deepEqual(answer({ success_action_redirect: 'http://app.example.com/p?q=1#' }), redirected(`http://app.example.com/p?q=1&${ADDED}#`));
  });

  it('wins over success_action_status', () => {
    assert.deepEqual(answer({ success_action_redirect: 'https://app.example.com/done', success_action_status: '201' }), redirected(`https://app.example.com/done?${ADDED}`));
  });

  it('the older field `redirect` does the same, when success_action_redirect is absent', () => {
    assert.deepEqual(answer({ redirect: 'https://old.example.com/ok' }), redirected(`https://old.example.com/ok?${ADDED}`));
    assert.deepEqual(answer({ redirect: 'https://old.example.com/ok', success_action_redirect: 'https://new.example.com/ok' }), redirected(`https://new.example.com/ok?${ADDED}`));
  });

  it('a URL S3 cannot use is ignored, as if the field were absent: the status decides', () => {
    for (const url of ['', 'not a url', '/relative/path', 'ftp://files.example.com/x', 'javascript:alert(1)', 'data:text/html,hi', 'file:///etc/passwd', 'https//missing-colon.example']) {
      assert.deepEqual(answer({ success_action_redirect: url }), empty(204), url);
      assert.deepEqual(answer({ redirect: url, success_action_status: '200' }), empty(200), url);
    }
  });

  it('a URL a browser would accept with characters no header may hold is sent percent-encoded, not a failed answer', () => {
    assert.deepEqual(answer({ success_action_redirect: 'https://app.example.com/fertig\u2192?n=caf\u00e9 1\r\n' }), redirected(`https://app.example.com/fertig%E2%86%92?n=caf%C3%A9%201&${ADDED}`));
    assert.deepEqual(answer({ success_action_redirect: '  https://APP.example.com/ok#f\u00fcr ' }), redirected(`https://app.example.com/ok?${ADDED}#f%C3%BCr`));
  });
});
