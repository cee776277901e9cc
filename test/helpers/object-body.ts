import { Writable } from 'node:stream';
import type { ObjectBody } from '../../src/storage/opened-blob.js';

/**
 * What ObjectBody.sendTo writes, collected by a destination that accepts
 * chunks eagerly (a 64 MiB high-water mark) but copies each one only a
 * timer later: a buffer reused before its write callback would show up as
 * wrong bytes here.
 */
export async function sendAll(body: ObjectBody): Promise<Buffer> {
  const copies: Buffer[] = [];
  const dest = new Writable({
    highWaterMark: 64 * 1024 * 1024,
    write(chunk: Buffer, _encoding, callback) {
      setTimeout(() => {
        copies.push(Buffer.from(chunk));
        callback();
      }, 1);
    },
  });
  let counted = 0;
  await body.sendTo(dest, (n) => {
    counted += n;
  });
  await new Promise<void>((resolve, reject) => dest.end((error?: Error | null) => (error ? reject(error) : resolve())));
  const sent = Buffer.concat(copies);
  if (counted !== sent.length) throw new Error(`onBytes counted ${counted}, sent ${sent.length}`);
  return sent;
}
