import type { IncomingMessage } from 'node:http';
import { cidrContains, parseCidr, parseIp, type CidrBlock } from '../iam/ip-address.js';

/**
 * The reverse proxies (--trusted-proxy) whose X-Forwarded-For is believed.
 * With none, forwarded headers are never read: anyone can send one.
 */
export class TrustedProxies {
  static readonly NONE = new TrustedProxies([]);

  private constructor(private readonly blocks: readonly CidrBlock[]) {}

  /** "10.0.0.0/8,192.168.1.5,fd00::/8"; undefined for a malformed entry. */
  static parse(text: string): TrustedProxies | undefined {
    const blocks: CidrBlock[] = [];
    for (const entry of text.split(',')) {
      const block = parseCidr(entry.trim());
      if (block === undefined) return undefined;
      blocks.push(block);
    }
    return new TrustedProxies(blocks);
  }

  get none(): boolean {
    return this.blocks.length === 0;
  }

  trusts(address: string): boolean {
    const ip = parseIp(address);
    return ip !== undefined && this.blocks.some((block) => cidrContains(block, ip));
  }
}

/** How Node reports an IPv4 peer on a dual-stack socket, written as IPv4. */
function plain(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

const resolved = new WeakMap<IncomingMessage, string>();

/**
 * The address of the client a request comes from: the one thing that feeds
 * the console's sign-in limiter, aws:SourceIp, X-Latchkey-Source-Ip and the
 * link audit. When the peer is a trusted proxy, X-Forwarded-For is read from
 * the right (each proxy appends the address it was reached from), skipping
 * trusted hops: the first address no trusted proxy vouches for is the client.
 * Whatever a client writes itself lies to the left of that and is never read.
 */
export function clientAddress(req: IncomingMessage, trusted: TrustedProxies = TrustedProxies.NONE): string {
  const known = resolved.get(req);
  if (known !== undefined) return known;
  let client = plain(req.socket.remoteAddress ?? '');
  if (!trusted.none && trusted.trusts(client)) {
    const hops = (req.headersDistinct['x-forwarded-for'] ?? []).flatMap((value) => value.split(',')).map((hop) => plain(hop.trim()));
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i] ?? '';
      // A hop that is no address at all cannot be vouched for: the last one that could stands.
      if (parseIp(hop) === undefined) break;
      client = hop;
      if (!trusted.trusts(hop)) break;
    }
  }
  resolved.set(req, client);
  return client;
}
