import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LinkAdmission } from '../../src/links/link-guard.js';
import { linkId } from '../../src/links/link-identity.js';
import type { LinkService } from '../../src/links/link-service.js';
import { parseQuery } from '../../src/sigv4/canonical-query.js';
import { nodeCrypto } from '../../src/sigv4/node-crypto.js';
import { presign } from '../../src/sigv4/sign.js';
import { verifyRequest } from '../../src/sigv4/verify.js';
import { requestFromUrl } from './sigv2-clients.js';

/*
 * The link service's request path in-process (test/links/service-edges and
 * service-admit-edges): an HTTP server on 127.0.0.1 whose every request is
 * alice's GET of /<bucket>/k, its link verified against the given key against
 * the wall clock, then admitted by a link service; the test says, request by
 * request, which service admits it and what is answered with the admission.
 */

export interface LinkServiceRoute {
  readonly links: LinkService;
  readonly answer: (res: ServerResponse, admission: LinkAdmission) => void | Promise<void>;
}

export interface LinkServiceServer {
  readonly endpoint: string;
  /** A SigV4 link to /<bucket>/k plus `query`, signed now, distinct on every call. */
  readonly link: (query?: string) => { url: string; id: string; rawQuery: string };
  /** Destroys every response still open (answers a test left under way), then stops the server. */
  readonly close: () => Promise<void>;
}

export async function startLinkServiceServer(
  credentials: { readonly accessKeyId: string; readonly secretAccessKey: string },
  bucket: string,
  route: () => LinkServiceRoute,
): Promise<LinkServiceServer> {
  const responses: ServerResponse[] = [];
  let endpoint = '';
  const server = createServer((req, res) => {
    const { links, answer } = route();
    responses.push(res);
    void (async () => {
      const url = `${endpoint}${req.url ?? '/'}`;
      const auth = await verifyRequest(requestFromUrl('GET', url), { now: Date.now(), crypto: nodeCrypto, region: 'us-east-1', lookupSecret: () => ({ secretAccessKey: credentials.secretAccessKey }) });
      const rawQuery = new URL(url).search.slice(1);
      const queryPairs = parseQuery(rawQuery);
      const admission = await links.admit({
        method: 'GET', rawQuery, clientIp: '127.0.0.1',
        query: new Map(queryPairs), queryPairs, res, bytesIn: 0, bytesOut: 0, header: () => undefined,
      }, { verified: auth, principal: { name: 'alice' } }, { operation: 'GetObject', bucket, key: 'k' });
      await answer(res, admission);
    })().catch(() => {
      if (!res.headersSent) res.writeHead(403);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // Each link expires a second later than the one before, so no two are the same link.
  let distinct = 0;
  return {
    endpoint,
    link: (query = '') => {
      const { url, signature } = presign({ method: 'GET', url: `${endpoint}/${bucket}/k${query}`, credentials, region: 'us-east-1', now: Date.now(), expiresIn: 600 + distinct++, crypto: nodeCrypto });
      return { url, id: linkId(4, signature), rawQuery: new URL(url).search.slice(1) };
    },
    close: async () => {
      for (const res of responses) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
