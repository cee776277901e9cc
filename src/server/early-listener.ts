import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export class PortInUseError extends Error {
  constructor(what: string, host: string, port: number) {
    super(`${what} address ${host}:${port} is already in use (another process listens there): choose another one or stop that process`);
    this.name = 'PortInUseError';
  }
}

/**
 * A server's port, bound before the data dir is opened: a server that cannot
 * listen must leave the dir as it found it. Requests that arrive before the
 * handler is ready wait for it rather than being lost ('request' events
 * without a listener are dropped and the client hangs).
 */
export class EarlyListener {
  /** Waiting requests, and whether each asked for 100 Continue. */
  private held: [IncomingMessage, ServerResponse, boolean][] = [];
  private readonly hold = (req: IncomingMessage, res: ServerResponse): void => {
    this.held.push([req, res, false]);
  };
  private readonly holdContinue = (req: IncomingMessage, res: ServerResponse): void => {
    this.held.push([req, res, true]);
  };

  private constructor(readonly server: Server) {
    server.on('request', this.hold);
    server.on('checkContinue', this.holdContinue);
  }

  /** Listens on host:port; EADDRINUSE becomes a PortInUseError naming `what`. */
  static async bind(server: Server, host: string, port: number, what: string): Promise<EarlyListener> {
    const listener = new EarlyListener(server);
    await new Promise<void>((resolve, reject) => {
      const failed = (error: NodeJS.ErrnoException) => reject(error.code === 'EADDRINUSE' ? new PortInUseError(what, host, port) : error);
      server.once('error', failed);
      server.listen(port, host, () => {
        server.off('error', failed);
        resolve();
      });
    });
    return listener;
  }

  /** http://host:port as bound (the real port when 0 was asked for). */
  endpoint(): string {
    const address = this.server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${host}:${address.port}`;
  }

  /**
   * From now on requests go to `handler`, the waiting ones first. With
   * `handlesContinue` it also gets Expect: 100-continue requests and decides
   * when to send 100 Continue; without, Node sends it before the handler runs.
   */
  serve(handler: RequestListener, options: { handlesContinue: boolean }): void {
    this.server.off('request', this.hold);
    this.server.off('checkContinue', this.holdContinue);
    this.server.on('request', handler);
    if (options.handlesContinue) this.server.on('checkContinue', handler);
    const waiting = this.held;
    this.held = [];
    for (const [req, res, expectsContinue] of waiting) {
      if (expectsContinue && !options.handlesContinue) res.writeContinue();
      handler(req, res);
    }
  }

  /** Start-up failed: stop listening and drop what waits. */
  async abandon(): Promise<void> {
    for (const [req] of this.held) req.socket.destroy();
    this.held = [];
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }
}
