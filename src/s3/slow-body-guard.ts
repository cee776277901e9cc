import type { Logger } from '../logger.js';
import type { RequestContext } from './context.js';
import type { Outcome } from './outcome.js';

/** A body must bring at least this much in every window. */
export const MIN_BYTES_PER_WINDOW = 1024;
/** Windows are checked this many times per window, so a stalled body is cut within 1¼ windows of its last good one. */
const CHECKS_PER_WINDOW = 4;

interface Watched {
  readonly ctx: RequestContext;
  /** How far the request got, for the warning (the pipeline's record). */
  readonly outcome: Outcome;
  /** When the current window began; undefined until the first byte of an Expect: 100-continue body. */
  windowStart: number | undefined;
  bytesAtStart: number;
}

/**
 * Cuts off request bodies that arrive too slowly (a client announcing 1 GiB
 * and sending a byte now and then would hold a connection and a temp file
 * for ever): every body must deliver MIN_BYTES_PER_WINDOW bytes in each
 * window or its connection is destroyed. The reader then fails as for any
 * client that left (IncompleteBody): the temp file is removed and nothing is
 * committed.
 *
 * Bytes are counted at the socket, so no 'data' listener changes how the
 * body flows. A window in which this server is the slow side (the body
 * waits unread because the disk is slow) does not count against the client.
 * One timer serves every watched request.
 */
export class SlowBodyGuard {
  private readonly watched = new Set<Watched>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly windowMs: number,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** From the request's start to its body's end (or the response's close). */
  watch(ctx: RequestContext, outcome: Outcome): void {
    const { req, res } = ctx;
    if (req.complete || !hasBody(ctx)) return;
    const expectsContinue = req.headers.expect?.toLowerCase() === '100-continue';
    const entry: Watched = { ctx, outcome, windowStart: expectsContinue ? undefined : this.now(), bytesAtStart: req.socket.bytesRead };
    this.watched.add(entry);
    const stop = (): void => {
      this.watched.delete(entry);
      if (this.watched.size === 0 && this.timer !== undefined) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    };
    req.once('end', stop);
    res.once('close', stop);
    this.timer ??= setInterval(() => this.check(), Math.max(1, Math.floor(this.windowMs / CHECKS_PER_WINDOW)));
    this.timer.unref();
  }

  private check(): void {
    const now = this.now();
    for (const entry of this.watched) {
      const { req } = entry.ctx;
      const read = req.socket.bytesRead;
      if (entry.windowStart === undefined) {
        // Waiting for 100 Continue is our doing; the clock starts with the body's first byte.
        if (read > entry.bytesAtStart) {
          entry.windowStart = now;
          entry.bytesAtStart = read;
        }
        continue;
      }
      if (now - entry.windowStart < this.windowMs) continue;
      const received = read - entry.bytesAtStart;
      const heldByUs = req.readableLength >= MIN_BYTES_PER_WINDOW;
      if (received < MIN_BYTES_PER_WINDOW && !heldByUs) {
        this.watched.delete(entry);
        this.cut(entry.ctx, entry.outcome, received);
        continue;
      }
      entry.windowStart = now;
      entry.bytesAtStart = read;
    }
  }

  private cut(ctx: RequestContext, outcome: Outcome, received: number): void {
    this.logger.warn('request body too slow: connection closed', {
      requestId: ctx.id,
      method: ctx.method,
      bucket: outcome.bucket,
      key: outcome.key,
      operation: outcome.operation,
      received,
      windowMs: this.windowMs,
      reason: `fewer than ${MIN_BYTES_PER_WINDOW} bytes in ${this.windowMs} ms (--body-timeout)`,
    });
    ctx.req.socket.destroy();
  }
}

function hasBody(ctx: RequestContext): boolean {
  const { headers } = ctx.req;
  return headers['transfer-encoding'] !== undefined || (headers['content-length'] !== undefined && headers['content-length'] !== '0');
}
