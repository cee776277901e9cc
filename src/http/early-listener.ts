import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server as TlsServer } from 'node:tls';

export class PortInUseError extends Error {
  constructor(what: string, host: string, port: number) {
    super(`${what} address ${host}:${port} is already in use (another process listens there): choose another one or stop that process`);
    this.name = 'PortInUseError';
  }
}

const HELD_EVENTS = ['request', 'checkContinue', 'checkExpectation'] as const;
type HeldEvent = (typeof HELD_EVENTS)[number];

/**
 * A server's port, bound before the data dir is opened: a server that cannot
 * listen must leave the dir as it found it. Requests that arrive before the
 * handler is ready wait for it rather than being lost ('request' events
 * without a listener are dropped and the client hangs).
 */
export class EarlyListener {
  /** Waiting requests, and the event each came by (an Expect header makes it checkContinue or checkExpectation). */
  private held: [IncomingMessage, ServerResponse, HeldEvent][] = [];
  private readonly holds = new Map<HeldEvent, (req: IncomingMessage, res: ServerResponse) => void>(
    HELD_EVENTS.map((event) => [event, (req, res) => void this.held.push([req, res, event])]),
  );

  private constructor(readonly server: Server) {
    for (const [event, hold] of this.holds) server.on(event, hold);
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

  /** http(s)://host:port as bound (the real port when 0 was asked for). */
  endpoint(): string {
    const address = this.server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `${this.server instanceof TlsServer ? 'https' : 'http'}://${host}:${address.port}`;
  }

  /**
   * From now on requests go to `handler`, the waiting ones first. With
   * `handlesExpect` it also gets requests with an Expect header and decides
   * when to send 100 Continue (and ignores other expectations); without,
   * Node answers them: 100 Continue before the handler runs, 417 to others.
   */
  serve(handler: RequestListener, options: { handlesExpect: boolean }): void {
    for (const [event, hold] of this.holds) this.server.off(event, hold);
    this.server.on('request', handler);
    if (options.handlesExpect) {
      this.server.on('checkContinue', handler);
      this.server.on('checkExpectation', handler);
    }
    const waiting = this.held;
    this.held = [];
    for (const [req, res, event] of waiting) {
      if (!options.handlesExpect && event === 'checkExpectation') {
        res.writeHead(417).end();
        continue;
      }
      if (!options.handlesExpect && event === 'checkContinue') res.writeContinue();
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
