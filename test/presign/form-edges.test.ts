import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { PassThrough, Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { S3Error } from '../../src/errors.js';
import { MAX_PRE_DATA_BYTES, readPostForm, type PostForm } from '../../src/s3/post-object/form.js';

/*
 * The POST form reader (form.ts) in-process: crafted multipart bodies fed to
 * readPostForm as the server's request stream, each refusal pinned to its S3
 * error, each accepted form to exactly what it yields (fields, the file's
 * bytes and name, when the whole body is done). Where
 * test/presign/post-auth.test.ts and post-streaming.test.ts send forms to a
 * server, this pins the limits and the ways a body can end. The mutation target
 * `post` runs it first (docs/testing.md).
 */

const BOUNDARY = 'form-edges-7MA4YWxkTrZu0gW';
const CONTENT_TYPE = `multipart/form-data; boundary=${BOUNDARY}`;
const CLOSE = `--${BOUNDARY}--\r\n`;
// A test that waits for an event the code under test never gives fails instead of hanging the file.
const TIMEOUT = { timeout: 10_000 };

const part = (disposition: string, value: string | Buffer, headers = ''): Buffer =>
  Buffer.concat([Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: ${disposition}\r\n${headers}\r\n`), Buffer.from(value), Buffer.from('\r\n')]);
const field = (name: string, value: string | Buffer): Buffer => part(`form-data; name="${name}"`, value);
/** A file part; `filename` null sends none. */
const filePart = (content: string | Buffer, filename: string | null = 'a.txt', name = 'file'): Buffer =>
  part(`form-data; name="${name}"${filename === null ? '' : `; filename="${filename}"`}`, content, 'Content-Type: application/octet-stream\r\n');
const body = (...parts: (Buffer | string)[]): Buffer => Buffer.concat(parts.map((p) => Buffer.from(p)));

/** The whole body as a request that arrived complete (as `IncomingMessage.complete` says once its end is read). */
function arrived(...chunks: Buffer[]): IncomingMessage {
  return Object.assign(Readable.from(chunks), { complete: true }) as unknown as IncomingMessage;
}

/** A request whose bytes the test writes, and whose client can leave before the end. */
function arriving(): { req: IncomingMessage; send: (bytes: Buffer) => void; leave: () => void } {
  const stream = Object.assign(new PassThrough(), { complete: false });
  return { req: stream as unknown as IncomingMessage, send: (bytes) => void stream.write(bytes), leave: () => void stream.destroy() };
}

/** Reads the form and what it counted of the request. */
async function read(req: IncomingMessage, contentType = CONTENT_TYPE): Promise<{ form: PostForm; counted: () => number }> {
  let counted = 0;
  const form = await readPostForm(req, contentType, (bytes) => (counted += bytes));
  return { form, counted: () => counted };
}

async function fileBytes(form: PostForm): Promise<Buffer> {
  assert.ok(form.file !== undefined, 'a file part');
  const chunks: Buffer[] = [];
  for await (const chunk of form.file.stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

interface Expected {
  readonly code: string;
  readonly status?: number;
  readonly message?: string;
  readonly details?: Record<string, string>;
}

const MESSAGES: Record<string, [number, string]> = {
  MalformedPOSTRequest: [400, 'The body of your POST request is not well-formed multipart/form-data.'],
  MaxPostPreDataLengthExceededError: [400, 'Your POST request fields preceding the upload file were too large.'],
  IncompleteBody: [400, 'You did not provide the number of bytes specified by the Content-Length HTTP header.'],
};

/** `promise` rejects with exactly this S3 error (status, code, message and details). */
async function refusedWith(promise: Promise<unknown>, expected: Expected): Promise<void> {
  let error: unknown;
  try {
    await promise;
  } catch (caught) {
    error = caught;
  }
  assert.ok(error instanceof S3Error, `refused with an S3 error: ${String(error)}`);
  const [status, message] = MESSAGES[expected.code] ?? [expected.status, expected.message];
  assert.deepEqual(
    { code: error.code, status: error.status, message: error.message, details: error.details },
    { code: expected.code, status: expected.status ?? status, message: expected.message ?? message, details: expected.details ?? {} },
  );
}

describe('readPostForm: accepted forms', TIMEOUT, () => {
  it('the fields before the file by lower-case name, the file streamed, the body counted, done once it has all been read', async () => {
    const content = Buffer.from(`line one\r\n--${BOUNDARY.slice(0, 10)}\r\n\u00e9\u0000end`);
    const sent = body(field('Key', 'up/${filename}'), field('X-Amz-Meta-Note', 'caf\u00e9'), field('empty', ''), filePart(content, 'photo.jpg'), CLOSE);
    const { form, counted } = await read(arrived(sent.subarray(0, 7), sent.subarray(7)));
    assert.deepEqual([...form.fields], [
      ['key', 'up/${filename}'],
      ['x-amz-meta-note', 'caf\u00e9'],
      ['empty', ''],
    ]);
    assert.equal(form.file?.filename, 'photo.jpg');
    assert.deepEqual(await fileBytes(form), content);
    await form.done;
    assert.equal(counted(), sent.length);
  });

  it('fields after the file are ignored: not read, not refused, even a repeat or one without a name', async () => {
    const sent = body(field('key', 'k'), filePart('data'), field('key', 'other'), field('after', 'x'), part('form-data', 'nameless'), CLOSE);
    const { form } = await read(arrived(sent));
    assert.deepEqual([...form.fields], [['key', 'k']]);
    assert.equal((await fileBytes(form)).toString(), 'data');
    await form.done;
    assert.deepEqual([...form.fields], [['key', 'k']]);
  });

  it('fields after the file past the 1000-field limit are ignored too: the body is still read to its end', async () => {
    const after = Array.from({ length: 1_001 }, (_, i) => field(`after${i}`, ''));
    const { form } = await read(arrived(body(field('key', 'k'), filePart('data'), ...after, CLOSE)));
    assert.equal((await fileBytes(form)).toString(), 'data');
    await form.done;
    assert.deepEqual([...form.fields], [['key', 'k']]);
  });

  it('the file field is named "file" in any case; a part named so without a filename is the file, named ""', async () => {
    const { form } = await read(arrived(body(field('key', 'k'), filePart('upper', null, 'FILE'), CLOSE)));
    assert.equal(form.file?.filename, '');
    assert.equal((await fileBytes(form)).toString(), 'upper');
    await form.done;
  });

  it('a field whose name only contains "file" is a field; a part with a filename under another name too', async () => {
    const sent = body(field('profile', 'p'), filePart('not the file', 'x.txt', 'attachment'), filePart('the file', 'y.txt'), CLOSE);
    const { form } = await read(arrived(sent));
    assert.deepEqual([...form.fields], [
      ['profile', 'p'],
      ['attachment', 'not the file'],
    ]);
    assert.equal(form.file?.filename, 'y.txt');
    assert.equal((await fileBytes(form)).toString(), 'the file');
    await form.done;
  });

  it('the filename loses any directories the client sent, / or \\', async () => {
    for (const [sent, kept] of [
      ['dir/sub/a.txt', 'a.txt'],
      ['C:\\\\Users\\\\me\\\\b.png', 'b.png'],
      ['plain.bin', 'plain.bin'],
    ] as const) {
      const { form } = await read(arrived(body(filePart('x', sent), CLOSE)));
      assert.equal(form.file?.filename, kept, sent);
      await fileBytes(form);
      await form.done;
    }
  });

  it('a form without a file resolves once the body has ended, with its fields and no file', async () => {
    const sent = body(field('key', 'k'), field('policy', 'p'), CLOSE);
    const { form, counted } = await read(arrived(sent));
    assert.deepEqual([...form.fields], [
      ['key', 'k'],
      ['policy', 'p'],
    ]);
    assert.equal(form.file, undefined);
    await form.done;
    assert.equal(counted(), sent.length);
  });

  it(`fields of ${MAX_PRE_DATA_BYTES} bytes in all (names and values, UTF-8) are taken whole`, async () => {
    assert.equal(MAX_PRE_DATA_BYTES, 64 * 1024);
    // 3 + 60000 + 5 + (2 + 5524: an é is two bytes) + 2 = 65536.
    const first = 'x'.repeat(60_000);
    const second = `\u00e9${'y'.repeat(5_524)}`;
    const { form } = await read(arrived(body(field('key', first), field('other', second), field('ab', ''), filePart('f'), CLOSE)));
    assert.deepEqual([...form.fields], [
      ['key', first],
      ['other', second],
      ['ab', ''],
    ]);
    await fileBytes(form);
    await form.done;
  });

  it(`one value of exactly ${MAX_PRE_DATA_BYTES} bytes under an empty name is taken whole`, async () => {
    const value = 'v'.repeat(MAX_PRE_DATA_BYTES);
    const { form } = await read(arrived(body(field('', value), filePart('f'), CLOSE)));
    assert.deepEqual([...form.fields], [['', value]]);
    await fileBytes(form);
    await form.done;
  });

  it('a field name of 2000 bytes is a name like any other (only the pre-data cap bounds it)', async () => {
    const name = 'n'.repeat(2_000);
    const { form } = await read(arrived(body(field(name, 'v'), filePart('f'), CLOSE)));
    assert.deepEqual([...form.fields], [[name, 'v']]);
    await fileBytes(form);
    await form.done;
  });

  it('1000 fields are taken', async () => {
    const fields = Array.from({ length: 1_000 }, (_, i) => field(`f${i}`, ''));
    const { form } = await read(arrived(body(...fields, filePart('f'), CLOSE)));
    assert.equal(form.fields.size, 1_000);
    assert.equal(form.fields.get('f999'), '');
    await fileBytes(form);
    await form.done;
  });

  it('a request that has arrived whole and closed leaves the unread file intact', async () => {
    const req = arrived(body(field('key', 'k'), filePart('kept'), CLOSE));
    const { form } = await read(req);
    if (!req.destroyed) await new Promise((resolve) => req.once('close', resolve));
    assert.equal((await fileBytes(form)).toString(), 'kept');
    await form.done;
  });
});

describe('readPostForm: refusals', TIMEOUT, () => {
  it('a content type without a boundary: MalformedPOSTRequest', async () => {
    await refusedWith(read(arrived(body(field('key', 'k'), CLOSE)), 'multipart/form-data'), { code: 'MalformedPOSTRequest' });
  });

  it(`fields over ${MAX_PRE_DATA_BYTES} bytes in all before the file, by one byte: MaxPostPreDataLengthExceededError`, async () => {
    // 3 + 60000 + 5 + 5529 = 65537, no field over the cap on its own.
    const sent = body(field('key', 'x'.repeat(60_000)), field('other', 'y'.repeat(5_529)), filePart('f'), CLOSE);
    await refusedWith(read(arrived(sent)), { code: 'MaxPostPreDataLengthExceededError' });
  });

  it('a value over the cap by one byte, even under an empty name: MaxPostPreDataLengthExceededError', async () => {
    await refusedWith(read(arrived(body(field('', 'v'.repeat(MAX_PRE_DATA_BYTES + 1)), filePart('f'), CLOSE))), { code: 'MaxPostPreDataLengthExceededError' });
  });

  it('a field name over the cap: MaxPostPreDataLengthExceededError', async () => {
    await refusedWith(read(arrived(body(field('n'.repeat(MAX_PRE_DATA_BYTES + 1), ''), filePart('f'), CLOSE))), { code: 'MaxPostPreDataLengthExceededError' });
  });

  it('more than 1000 fields (all small) before the file: MaxPostPreDataLengthExceededError, not a form missing the last ones', async () => {
    const fields = Array.from({ length: 1_001 }, (_, i) => field(`f${i}`, ''));
    await refusedWith(read(arrived(body(...fields, filePart('f'), CLOSE))), { code: 'MaxPostPreDataLengthExceededError' });
  });

  it('a field twice, in any case: InvalidArgument naming it as sent the second time', async () => {
    await refusedWith(read(arrived(body(field('Key', 'a'), field('KEY', 'b'), filePart('f'), CLOSE))), {
      code: 'InvalidArgument',
      status: 400,
      message: "Bucket POST may contain the field 'KEY' only once.",
      details: { ArgumentName: 'KEY' },
    });
  });

  it('a part without a field name: MalformedPOSTRequest (it once threw out of the parser and ended the server)', async () => {
    await refusedWith(read(arrived(body(field('key', 'k'), part('form-data', 'v'), filePart('f'), CLOSE))), { code: 'MalformedPOSTRequest' });
    await refusedWith(read(arrived(body(part('form-data; filename="a.txt"', 'v'), CLOSE))), { code: 'MalformedPOSTRequest' });
  });

  it('a body that ends inside a field: MalformedPOSTRequest', async () => {
    await refusedWith(read(arrived(body(field('key', 'k'), `--${BOUNDARY}\r\nContent-Disposition: form-data; name="policy"\r\n\r\nabc`))), { code: 'MalformedPOSTRequest' });
  });

  it('a body that ends before its closing boundary, or is empty: MalformedPOSTRequest', async () => {
    await refusedWith(read(arrived(body(field('key', 'k'), field('policy', 'p')))), { code: 'MalformedPOSTRequest' });
    await refusedWith(read(arrived(Buffer.alloc(0))), { code: 'MalformedPOSTRequest' });
  });

  it('a body that ends inside the file: the file fails even when read afterwards, and done with MalformedPOSTRequest', async () => {
    const { form } = await read(arrived(body(field('key', 'k'), `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\ncut sh`)));
    assert.deepEqual([...form.fields], [['key', 'k']]);
    await refusedWith(form.done, { code: 'MalformedPOSTRequest' });
    await assert.rejects(fileBytes(form), /terminated early/);
  });

  it('a client that leaves before the file: IncompleteBody', async () => {
    const { req, send, leave } = arriving();
    const reading = read(req);
    send(field('key', 'k'));
    send(Buffer.from(`--${BOUNDARY}\r\nContent-Disp`));
    leave();
    await refusedWith(reading, { code: 'IncompleteBody' });
  });

  it('a client that leaves during the file: the file and done fail with IncompleteBody', async () => {
    const { req, send, leave } = arriving();
    const reading = read(req);
    send(body(field('key', 'k'), `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nfirst bytes`));
    const { form } = await reading;
    leave();
    await refusedWith(fileBytes(form), { code: 'IncompleteBody' });
    await refusedWith(form.done, { code: 'IncompleteBody' });
  });
});
