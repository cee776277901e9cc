import { readFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { createSecureContext, type Server as TlsServer } from 'node:tls';
import type { Logger } from '../logger.js';

export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

export interface TlsPair {
  readonly cert: Buffer;
  readonly key: Buffer;
}

/**
 * Reads a certificate chain and its private key, and proves they make a
 * working pair (createSecureContext refuses a key that does not match the
 * certificate, or either file that is not PEM) before anything serves with them.
 */
export async function loadTlsPair(files: TlsFiles): Promise<TlsPair> {
  const [cert, key] = await Promise.all([readFile(files.certFile), readFile(files.keyFile)]);
  createSecureContext({ cert, key });
  return { cert, key };
}

/** What Go's net/http answers, so a client that forgot https:// is told so rather than cut off. */
const PLAIN_HTTP_ANSWER =
  'HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\nClient sent an HTTP request to an HTTPS server.\n';

/** Plain HTTP sent to a TLS listener gets a plain 400 and a closed connection; other handshake failures just close. */
export function answerPlainHttp(server: TlsServer): void {
  server.on('tlsClientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    const raw = (socket as Socket & { _parent?: Socket })._parent;
    if (error.code === 'ERR_SSL_HTTP_REQUEST' && raw && !raw.destroyed) raw.end(PLAIN_HTTP_ANSWER);
    else socket.destroy();
  });
}

/**
 * Certificate rotation without a restart: on SIGHUP the files are read again
 * and, if they make a working pair, every TLS listener hands the new one to
 * new connections (open connections keep theirs). A broken pair is refused
 * with a log line and the old one stays in use.
 */
export function reloadOnSighup(files: TlsFiles, servers: readonly TlsServer[], logger: Logger): () => void {
  const reload = () => {
    loadTlsPair(files).then(
      (pair) => {
        for (const server of servers) server.setSecureContext({ cert: pair.cert, key: pair.key });
        logger.info('TLS certificate reloaded', { cert: files.certFile });
      },
      (error: unknown) => logger.error('TLS certificate not reloaded: keeping the one in use', { cert: files.certFile, key: files.keyFile, error: error instanceof Error ? error.message : String(error) }),
    );
  };
  process.on('SIGHUP', reload);
  return () => process.off('SIGHUP', reload);
}
