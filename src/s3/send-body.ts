import type { ServerResponse } from 'node:http';
import type { ObjectBody } from '../storage/opened-blob.js';

/**
 * Sends an object's body as the response, counting bytes. Resolves when the
 * response has finished; a read error or an early client disconnect destroys
 * the response and rejects. stream.pipeline is not used: it allocates an
 * AbortController per call and aborts it (building a DOMException) when done,
 * measurable on a small-object GET.
 */
export async function sendBody(body: ObjectBody, res: ServerResponse, onBytes: (n: number) => void): Promise<void> {
  try {
    await body.sendTo(res, onBytes);
  } catch (error) {
    res.destroy(error as Error);
    throw error;
  }
  await new Promise<void>((resolve, reject) => {
    res.once('close', () => (res.writableFinished ? resolve() : reject(new Error('client closed the connection before the body was sent'))));
    res.end();
  });
}
