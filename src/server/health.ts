import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import type { RequestContext } from '../s3/context.js';
import { S3_ERRORS } from '../s3/error-response.js';
import type { Api, Resolved } from '../s3/pipeline.js';
import { sendText } from '../s3/respond.js';

export const HEALTH_PREFIX = '/_latchkey/health/';

export interface ReadinessDeps {
  /** A cheap read of the metadata store; rejects (or never settles) when the store cannot answer. */
  readonly probeMetadata: () => Promise<unknown>;
  readonly dataDir: string;
  /** The least free space (bytes) the data dir's filesystem must have to take writes. */
  readonly minFreeBytes: number;
  readonly freeBytes: (dir: string) => Promise<number>;
  /** How long the metadata store may take to answer a probe. */
  readonly timeoutMs?: number;
}

export interface Readiness {
  readonly ready: boolean;
  /** What is wrong, one short phrase each (empty when ready). */
  readonly problems: readonly string[];
}

const DEFAULT_TIMEOUT_MS = 2000;

/**
 * Checks what a load balancer needs before it sends traffic: the metadata
 * store answers, the data dir is writable and has room. Nothing is written:
 * probes come every few seconds from every balancer and must cost nothing.
 */
export async function checkReadiness(deps: ReadinessDeps): Promise<Readiness> {
  const problems: string[] = [];
  const timeoutMs = deps.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  await Promise.all([
    withTimeout(deps.probeMetadata(), timeoutMs).catch((error: unknown) => {
      problems.push(error instanceof TimeoutError ? `metadata store did not answer within ${timeoutMs} ms` : 'metadata store unavailable');
    }),
    access(deps.dataDir, constants.W_OK).then(
      () =>
        deps.freeBytes(deps.dataDir).then(
          (free) => {
            if (free < deps.minFreeBytes) problems.push(`data dir has ${free} bytes free, below the minimum of ${deps.minFreeBytes}`);
          },
          () => problems.push('free space of the data dir unknown'),
        ),
      () => problems.push('data dir not writable'),
    ),
  ]);
  return { ready: problems.length === 0, problems };
}

class TimeoutError extends Error {}

function withTimeout(promise: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new TimeoutError()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * `GET|HEAD /_latchkey/health/live` and `/_latchkey/health/ready` on the S3
 * port, unauthenticated: they say whether to send traffic here and nothing
 * else (the reasons name no path, key or version). Placed before the admin
 * API, which owns the rest of /_latchkey/.
 */
export function healthApi(readiness: Omit<ReadinessDeps, 'timeoutMs'>): Api<Resolved> {
  return {
    errors: S3_ERRORS,
    matches: (ctx) => ctx.wirePath.startsWith(HEALTH_PREFIX),
    resolve: () => ({ name: 'Health' }),
    run: async (ctx) => {
      const check = ctx.wirePath.slice(HEALTH_PREFIX.length);
      if (check !== 'live' && check !== 'ready') return answer(ctx, 404, { status: 'not found' });
      if (ctx.method !== 'GET' && ctx.method !== 'HEAD') {
        ctx.res.setHeader('allow', 'GET, HEAD');
        return answer(ctx, 405, { status: 'method not allowed' });
      }
      if (check === 'live') return answer(ctx, 200, { status: 'ok' });
      const result = await checkReadiness(readiness);
      return answer(ctx, result.ready ? 200 : 503, result.ready ? { status: 'ok' } : { status: 'unavailable', problems: result.problems });
    },
  };
}

function answer(ctx: RequestContext, status: number, body: object): void {
  ctx.res.setHeader('cache-control', 'no-store');
  const text = `${JSON.stringify(body)}\n`;
  if (ctx.method === 'HEAD') {
    // What GET would send, without the body.
    ctx.res.statusCode = status;
    ctx.res.setHeader('content-type', 'application/json');
    ctx.res.setHeader('content-length', Buffer.byteLength(text));
    ctx.res.end();
    return;
  }
  sendText(ctx, status, 'application/json', text);
}
