import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import { Transform } from 'node:stream';

/** Slows a response to a network's pace, so a browser cannot have buffered the whole file before it seeks. */
function throttle(bytesPerSecond: number): Transform {
  const slice = Math.max(1, Math.floor(bytesPerSecond / 20));
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      const parts: Buffer[] = [];
      for (let i = 0; i < chunk.length; i += slice) parts.push(chunk.subarray(i, i + slice));
      const next = () => {
        const part = parts.shift();
        if (part === undefined) return callback();
        this.push(part);
        setTimeout(next, 50);
      };
      next();
    },
  });
}

/** What the proxy saw of one exchange between the browser and the server. */
export interface SeenExchange {
  readonly method: string;
  readonly path: string;
  readonly requestHeaders: IncomingHttpHeaders;
  readonly status: number;
  readonly responseHeaders: IncomingHttpHeaders;
  /** Body bytes received from the server so far. */
  bytes: number;
}

export interface CountingProxy {
  /** Sign URLs for this address: the Host header passes through unchanged, so signatures hold. */
  readonly endpoint: string;
  readonly seen: readonly SeenExchange[];
  close(): Promise<void>;
}

/**
 * A transparent HTTP proxy in front of the S3 server that records every
 * exchange, so a test can see what the browser really asked for (Range
 * requests, preflights) and what it got.
 */
export async function startCountingProxy(target: string, options: { bytesPerSecond?: number } = {}): Promise<CountingProxy> {
  const { hostname, port } = new URL(target);
  const seen: SeenExchange[] = [];
  const server = createServer((req, res) => {
    const upstream = request({ host: hostname, port, method: req.method, path: req.url, headers: req.headers }, (up) => {
      // Recorded as soon as the answer starts: a browser often abandons a media request mid-body.
      const exchange: SeenExchange = {
        method: req.method ?? '', path: req.url ?? '', requestHeaders: req.headers, status: up.statusCode ?? 0, responseHeaders: up.headers, bytes: 0,
      };
      seen.push(exchange);
      up.on('data', (chunk: Buffer) => (exchange.bytes += chunk.length));
      res.writeHead(up.statusCode ?? 502, up.headers);
      if (options.bytesPerSecond === undefined) up.pipe(res);
      else up.pipe(throttle(options.bytesPerSecond)).pipe(res);
      res.on('close', () => up.destroy());
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
