import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request, type ServerResponse } from 'node:http';
import { admitLink } from '../../src/links/link-guard.js';
import { RequestContext } from '../../src/s3/context.js';
import type { LinkStore } from '../../src/storage/link-store.js';
import { startGuardBench, type GuardBench } from '../helpers/guard-bench.js';

/*
 * The use counter of X-Latchkey-Max-Uses when the client leaves at the worst
 * moments: while its use is being reserved, and after the reservation but
 * before any answer. The guard and the SQLite store are the real ones; the
 * store's reserveUse is held until the test says so, which is the only way to
 * make "the client left during the reservation" happen on purpose.
 */

const CREDENTIALS = { accessKeyId: 'AKIDGUARDTEST', secretAccessKey: 'guard/test+secret' };
const ROOT = { kind: 'root', name: 'root', accessKeyId: CREDENTIALS.accessKeyId } as const;

let bench: GuardBench;
let metadata: GuardBench['metadata'];
let audit: GuardBench['audit'];
/** What the request handler does once the link is admitted (set per test). */
let handle: (ctx: RequestContext, reserveUse: () => Promise<void>) => Promise<void>;
const handled: Array<Promise<unknown>> = [];

before(async () => {
  bench = await startGuardBench(CREDENTIALS, { warn: (message, error) => assert.fail(`${message}: ${String(error)}`) }, (req, res) => {
    const work = (async () => {
      const ctx = new RequestContext(req, res);
      const auth = await bench.verify(req);
      const admission = await admitLink(ctx, { verified: auth, principal: ROOT }, { operation: undefined, bucket: undefined, key: undefined }, { store: gated, audit, now: Date.now, warn: (message, error) => assert.fail(`${message}: ${String(error)}`), open: new Set<ServerResponse>() });
      await handle(ctx, () => admission.reserveUse());
    })();
    handled.push(
      work.catch((error: unknown) => {
        if (!res.headersSent && !res.destroyed) res.writeHead(403).end();
        return error;
      }),
    );
  });
  ({ metadata, audit } = bench);
});
after(async () => {
  await bench?.close();
});

/** The real store, with reserveUse held at `hold` (when set) before it runs. */
let hold: Promise<void> | undefined;
const gated: LinkStore = new Proxy({} as LinkStore, {
  get(_target, name: keyof LinkStore) {
    if (name === 'reserveUse') {
      return async (...args: Parameters<LinkStore['reserveUse']>) => {
        await hold;
        return metadata.links.reserveUse(...args);
      };
    }
    const value: unknown = Reflect.get(metadata.links, name);
    return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(metadata.links) : value;
  },
});

const oneUseLink = () => bench.v4Link('?X-Latchkey-Max-Uses=1');

/** Sends the request, and resets the connection once `leave` resolves; resolves when the socket is gone. */
function leaveAt(url: string, leave: Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const req = request(url);
    req.on('error', () => resolve());
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve());
    });
    req.on('socket', (socket) => void leave.then(() => socket.resetAndDestroy()));
    req.end();
  });
}

async function uses(id: string): Promise<number> {
  return (await metadata.links.linkUsage(id)).counted?.uses ?? 0;
}

const closed = (res: ServerResponse) => new Promise<void>((resolve) => (res.destroyed ? resolve() : res.once('close', () => resolve())));

describe('a one-use link whose client leaves', () => {
  it('served to a client that stays: the use counts, and a second request is refused', async () => {
    handle = async (ctx, reserveUse) => {
      await reserveUse();
      ctx.res.end('body');
    };
    const { url, id } = oneUseLink();
    const first = await fetch(url);
    assert.equal(await first.text(), 'body');
    assert.equal(await uses(id), 1);
    assert.equal((await fetch(url)).status, 403);
    const errors = await Promise.all(handled.splice(0));
    assert.equal(errors.length, 2);
    assert.equal(errors[0], undefined);
    assert.match(String(errors[1]), /Link use limit reached/);
  });

  it('while its use is being reserved: the use is given back', async () => {
    let reservationStarted!: () => void;
    const started = new Promise<void>((resolve) => (reservationStarted = resolve));
    let release!: () => void;
    hold = new Promise<void>((resolve) => (release = resolve));
    handle = async (ctx, reserveUse) => {
      // The client goes once the reservation is under way, and the reservation completes only after its close was seen.
      const reserving = reserveUse();
      reservationStarted();
      await closed(ctx.res);
      release();
      await reserving;
      assert.equal(ctx.res.headersSent, false);
    };
    const { url, id } = oneUseLink();
    await leaveAt(url, started);
    const [error] = await Promise.all(handled.splice(0));
    hold = undefined;
    assert.equal(error, undefined);
    assert.equal(await uses(id), 0, 'the reservation was refunded');
  });

  it('after the reservation, before any answer: the use is given back', async () => {
    let reserved!: () => void;
    const done = new Promise<void>((resolve) => (reserved = resolve));
    let wait!: Promise<void>;
    handle = async (ctx, reserveUse) => {
      wait = closed(ctx.res);
      await reserveUse();
      reserved();
      await wait;
    };
    const { url, id } = oneUseLink();
    await leaveAt(url, done);
    const [error] = await Promise.all(handled.splice(0));
    assert.equal(error, undefined);
    // The refund on close is not awaited by anyone: wait for it to show.
    for (let i = 0; i < 200 && (await uses(id)) !== 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(await uses(id), 0);
  });
});
