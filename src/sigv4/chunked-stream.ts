import { Transform, type TransformCallback } from 'node:stream';
import { ChunkedDecoder, type ChunkedDecoderOptions, type ChunkedResult } from './chunked.js';

/**
 * The decoder as a Transform the HTTP server pipes the request through. It
 * fails with the decoder's AuthError; `result` is set (trailing checksums
 * verified) before the stream ends, so it is there once a pipeline resolves.
 */
export class ChunkedDecodeStream extends Transform {
  private readonly decoder: ChunkedDecoder;
  private decodedResult: ChunkedResult | undefined;

  constructor(options: ChunkedDecoderOptions) {
    super();
    // Constructed first so a bad header fails before any byte is read.
    this.decoder = new ChunkedDecoder(options);
  }

  get result(): ChunkedResult | undefined {
    return this.decodedResult;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      for (const slice of this.decoder.push(chunk)) this.push(slice);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    this.decoder.end().then(
      (result) => {
        this.decodedResult = result;
        callback();
      },
      (error: Error) => callback(error),
    );
  }
}

export function createChunkedDecodeStream(options: ChunkedDecoderOptions): ChunkedDecodeStream {
  return new ChunkedDecodeStream(options);
}
