import { S3Error } from '../errors.js';
import { parseCidr, type CidrBlock } from '../iam/ip-address.js';
import { MAX_USES_LIMIT } from '../presign/url.js';
import type { QueryPair } from '../sigv4/canonical-query.js';

export const MAX_USES_PARAM = 'X-Latchkey-Max-Uses';
export const SOURCE_IP_PARAM = 'X-Latchkey-Source-Ip';

/** Latchkey's own restrictions a signer put into a pre-signed URL (covered by its signature). */
export interface LinkControls {
  readonly maxUses?: number;
  readonly sourceIp?: { readonly text: string; readonly block: CidrBlock };
}

const PREFIX = 'x-latchkey-';
const KNOWN = new Map([
  [MAX_USES_PARAM.toLowerCase(), MAX_USES_PARAM],
  [SOURCE_IP_PARAM.toLowerCase(), SOURCE_IP_PARAM],
]);

function invalid(name: string, value: string, message: string): S3Error {
  return new S3Error('InvalidArgument', message, { ArgumentName: name, ArgumentValue: value });
}

/**
 * Reads the X-Latchkey-* parameters of a query. Strict on purpose: a
 * misspelt or repeated control would otherwise leave a link unrestricted
 * while its signer believes it limited, so anything unknown is refused.
 */
export function parseLinkControls(query: readonly QueryPair[]): LinkControls {
  const seen = new Map<string, string>();
  for (const [name, value] of query) {
    const lower = name.toLowerCase();
    if (!lower.startsWith(PREFIX)) continue;
    const canonical = KNOWN.get(lower);
    if (canonical === undefined || canonical !== name) {
      throw invalid(name, value, `Unknown link control ${name}; Latchkey knows ${MAX_USES_PARAM} and ${SOURCE_IP_PARAM}`);
    }
    if (seen.has(canonical)) throw invalid(name, value, `${canonical} may appear only once`);
    seen.set(canonical, value);
  }
  const maxUsesText = seen.get(MAX_USES_PARAM);
  const sourceIpText = seen.get(SOURCE_IP_PARAM);
  let maxUses: number | undefined;
  if (maxUsesText !== undefined) {
    maxUses = /^[1-9]\d{0,6}$/.test(maxUsesText) ? Number(maxUsesText) : NaN;
    if (!(maxUses <= MAX_USES_LIMIT)) throw invalid(MAX_USES_PARAM, maxUsesText, `${MAX_USES_PARAM} must be a whole number from 1 to ${MAX_USES_LIMIT}`);
  }
  let sourceIp: LinkControls['sourceIp'];
  if (sourceIpText !== undefined) {
    const block = ipv4Mapped(parseCidr(sourceIpText));
    if (block === undefined) throw invalid(SOURCE_IP_PARAM, sourceIpText, `${SOURCE_IP_PARAM} must be an IPv4 or IPv6 address or CIDR block, such as 203.0.113.0/24 or 2001:db8::/32`);
    sourceIp = { text: sourceIpText, block };
  }
  return { ...(maxUses === undefined ? {} : { maxUses }), ...(sourceIp === undefined ? {} : { sourceIp }) };
}

/** Clients arrive as IPv4 even on dual-stack sockets, so a ::ffff:a.b.c.d/96+ block is taken as the IPv4 block it maps. */
function ipv4Mapped(block: CidrBlock | undefined): CidrBlock | undefined {
  if (block?.family !== 6 || block.prefix < 96 || block.base >> 32n !== 0xffffn) return block;
  return { family: 4, base: block.base & 0xffffffffn, prefix: block.prefix - 96 };
}

export function hasControls(controls: LinkControls): boolean {
  return controls.maxUses !== undefined || controls.sourceIp !== undefined;
}
