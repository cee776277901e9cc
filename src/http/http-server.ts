import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { answerPlainHttp, type TlsPair } from './tls.js';

/** Header section cap: larger requests get 431 from Node's parser. */
const MAX_HEADER_BYTES = 16 * 1024;
const HEADERS_TIMEOUT_MS = 30_000;
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** A client that stops sending or reading for this long is cut off, without holding up anyone else. */
const IDLE_SOCKET_MS = 120_000;

/**
 * The S3 port's and the console's HTTP(S) server, not yet listening: the same
 * limits on both. No whole-request timeout, since a large body may take long
 * (the slow-body guard watches bodies instead); with TLS, plain HTTP sent to
 * the port is told so.
 */
export function newHttpServer(tls: TlsPair | undefined): Server {
  const options = { maxHeaderSize: MAX_HEADER_BYTES, requestTimeout: 0, headersTimeout: HEADERS_TIMEOUT_MS, keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS };
  const tlsServer = tls ? createHttpsServer({ ...options, cert: tls.cert, key: tls.key }) : undefined;
  if (tlsServer) answerPlainHttp(tlsServer);
  const server: Server = tlsServer ?? createServer(options);
  server.setTimeout(IDLE_SOCKET_MS, (socket: Socket) => socket.destroy());
  return server;
}
