import { LRUCache } from 'lru-cache';
import type { QueryPair } from '../sigv4/canonical-query.js';
import { linkId } from './link-identity.js';
import { parseLinkControls, type LinkControls } from './link-params.js';

/** As many as the verified-request cache holds links (src/s3/verified-cache.ts): a link it serves again has its id here. */
const IDS_CAPACITY = 10_000;
/** As many as the request context remembers query parses (src/s3/context.ts). */
const CONTROLS_CAPACITY = 2048;
const MAX_REMEMBERED_QUERY = 4096;

/**
 * What admitting a link works out again and again for a link fetched over and
 * over (a video seeking, a page reloaded), remembered by the text it is a pure
 * function of: one per server, made by the composition root. Both are bounded
 * and only ever hold derived values, so a miss is merely slower.
 */
export class LinkMemo {
  /** SigV4 link ids (a SHA-256) by the signature they hash. */
  private readonly ids = new LRUCache<string, string>({ max: IDS_CAPACITY });
  /** X-Latchkey-* controls by the raw query they were read from; only downloads', as upload links are used once. */
  private readonly controls = new LRUCache<string, LinkControls>({ max: CONTROLS_CAPACITY });

  /** Bound, so it can be handed on as a function. */
  readonly v4Id = (signature: string): string => {
    let id = this.ids.get(signature);
    if (id === undefined) {
      id = linkId(4, signature);
      this.ids.set(signature, id);
    }
    return id;
  };

  controlsOf(request: { readonly method: string; readonly rawQuery: string; readonly queryPairs: readonly QueryPair[] }): LinkControls {
    const remember = (request.method === 'GET' || request.method === 'HEAD') && request.rawQuery.length <= MAX_REMEMBERED_QUERY;
    let controls = remember ? this.controls.get(request.rawQuery) : undefined;
    if (controls === undefined) {
      controls = parseLinkControls(request.queryPairs);
      if (remember) this.controls.set(request.rawQuery, controls);
    }
    return controls;
  }
}
