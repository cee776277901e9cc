import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { Busboy, type BusboyInstance } from '@fastify/busboy';
import { S3Error } from '../../errors.js';

/** The uploaded file: its bytes stream straight from the request, never buffered whole. */
export interface FilePart {
  readonly stream: Readable;
  /** Base name the browser gave (no directories), '' when none. */
  readonly filename: string;
}

export interface PostForm {
  /** The fields before the file, by lower-case name (S3 treats form field names case-insensitively). */
  readonly fields: ReadonlyMap<string, string>;
  readonly file: FilePart | undefined;
  /** Settles when the whole body has been parsed; fields after the file are ignored, as S3 does. */
  readonly done: Promise<void>;
}

/** What may precede the file: S3 caps it so a form cannot make the server hold an unbounded prefix. */
export const MAX_PRE_DATA_BYTES = 64 * 1024;
const MAX_FIELDS = 1000;

/**
 * Parses a multipart/form-data POST until its `file` part begins and resolves
 * then, with the file still unread: the caller decides (signature, policy,
 * permission) before a single byte of it is stored.
 */
export function readPostForm(req: IncomingMessage, contentType: string, onBytes: (count: number) => void = () => undefined): Promise<PostForm> {
  let busboy: BusboyInstance;
  try {
    busboy = new Busboy({
      headers: { 'content-type': contentType },
      isPartAFile: (name) => name?.toLowerCase() === 'file',
      preservePath: false,
      // No fieldNameSize: busboy applies it to urlencoded bodies only; the pre-data cap bounds a name.
      limits: { fieldSize: MAX_PRE_DATA_BYTES, fields: MAX_FIELDS, files: 1, headerPairs: 100 },
    });
  } catch {
    // No boundary, or a content type busboy cannot read.
    return Promise.reject(new S3Error('MalformedPOSTRequest'));
  }
  const fields = new Map<string, string>();
  let preData = 0;
  let file: FilePart | undefined;
  let settled = false;
  let resolveDone!: () => void;
  let rejectDone!: (error: unknown) => void;
  const done = new Promise<void>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  // Observed by the caller only after the file; never an unhandled rejection before that.
  done.catch(() => undefined);

  return new Promise<PostForm>((resolve, reject) => {
    const fail = (error: S3Error) => {
      if (settled) return;
      settled = true;
      req.unpipe(busboy);
      reject(error);
    };
    busboy.on('field', (name: string | undefined, value, _nameTruncated, valueTruncated) => {
      // After the file (or a refusal) the form is settled: later fields are ignored.
      if (settled) return;
      // A part without a name (busboy's types say string, but it passes undefined) is not form-data (RFC 7578).
      if (name === undefined) return fail(new S3Error('MalformedPOSTRequest'));
      preData += Buffer.byteLength(name) + Buffer.byteLength(value);
      // A value cut at the cap by busboy (possible only under an empty name) is over the cap as well.
      if (valueTruncated || preData > MAX_PRE_DATA_BYTES) return fail(new S3Error('MaxPostPreDataLengthExceededError'));
      const lower = name.toLowerCase();
      // One value per field: a policy checked against one copy while another is stored would be a bypass.
      if (fields.has(lower)) return fail(new S3Error('InvalidArgument', `Bucket POST may contain the field '${name}' only once.`, { ArgumentName: name }));
      fields.set(lower, value);
    });
    // busboy drops the fields past its limit without a word: a form is refused rather than stored without them.
    busboy.on('fieldsLimit', () => fail(new S3Error('MaxPostPreDataLengthExceededError')));
    busboy.on('file', (_name, stream, filename: string | undefined) => {
      // The parser reports a body that ends inside the file by emitting 'error', then ending the
      // stream normally; a consumer that starts reading later (after auth) would miss the error and
      // store a truncated file. Destroying keeps the failure on the stream for whoever reads it (and
      // the 'error' that destroying emits again finds it destroyed: a no-op).
      stream.on('error', (error: Error) => stream.destroy(error));
      if (settled) {
        stream.resume();
        return;
      }
      settled = true;
      // busboy's types say string, but a part with no filename attribute (made the file by isPartAFile) gives
      // undefined, which ${filename} turned into the text "undefined".
      file = { stream, filename: filename ?? '' };
      resolve({ fields, file, done });
    });
    busboy.on('finish', () => {
      resolveDone();
      // A body without a file part. (A form with one was resolved when it began, and a refused one is
      // unpiped before its end: a promise settles once either way.)
      resolve({ fields, file: undefined, done });
    });
    busboy.on('error', () => {
      rejectDone(new S3Error('MalformedPOSTRequest'));
      fail(new S3Error('MalformedPOSTRequest'));
    });
    req.on('close', () => {
      if (req.complete) return;
      // The client went away mid-body: fail whatever is reading the file so nothing is committed.
      const cut = new S3Error('IncompleteBody');
      file?.stream.destroy(cut);
      rejectDone(cut);
      fail(cut);
    });
    req.pipe(busboy);
    // Observes what the pipe already reads: no extra flow of its own.
    req.on('data', (chunk: Buffer) => onBytes(chunk.length));
  });
}
