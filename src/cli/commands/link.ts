import { parseDurationSeconds } from '../../duration.js';
import { INSTANT_HINT, parseInstant } from '../../links/instant.js';
import type { CommandGroup } from '../command.js';
import { UsageError } from '../errors.js';
import { formatFields, formatJson, formatTable, formatTime } from '../output.js';

/** Shapes of the link endpoints' answers (docs/admin-api.md, "Pre-signed links"). */
export interface LinkView {
  readonly id: string;
  readonly signatureVersion: 2 | 4;
  readonly accessKeyId: string;
  readonly signer?: string | null;
  readonly bucket: string | null;
  readonly key: string | null;
  readonly signedAt: string | null;
  readonly expiresAt: string | null;
  readonly expired?: boolean;
  readonly maxUses?: number | null;
  readonly sourceIp?: string | null;
  readonly uses?: number;
  readonly lastUsedAt?: string | null;
  readonly revoked: boolean;
  readonly revokedBy?: 'link' | 'signer' | 'bucket' | null;
}

export interface LinkLogEntry {
  readonly time: string;
  readonly link: string;
  readonly accessKeyId: string;
  readonly user: string;
  readonly method: string;
  readonly bucket: string | null;
  readonly key: string | null;
  readonly status: number;
  readonly bytes: number;
  readonly clientIp: string;
  readonly userAgent: string | null;
}

export interface RevocationView {
  readonly accessKeyId?: string;
  readonly bucket?: string;
  readonly before: string;
  readonly expiresAt: string;
}

/** A --before value: checked here so a typo never reaches the server; 'now' is left for the server's clock. */
export function beforeOption(text: string): string {
  if (text.trim().toLowerCase() === 'now') return 'now';
  const when = parseInstant(text, Date.now);
  if (when === undefined) throw new UsageError(`--before must be ${INSTANT_HINT}, got '${text}'`);
  return when.toISOString();
}


/** A --since value: an instant, or a duration back from now (15m, 2h, 7d). */
export function sinceOption(text: string, now: () => number = Date.now): string {
  const ago = parseDurationSeconds(text, { unitRequired: true });
  if (ago !== undefined) return new Date(now() - ago * 1000).toISOString();
  const when = parseInstant(text, now);
  if (when === undefined) throw new UsageError(`--since must be ${INSTANT_HINT} or a duration such as 15m, 2h or 7d, got '${text}'`);
  return when.toISOString();
}

const LOG_HEADERS = ['TIME', 'METHOD', 'BUCKET', 'KEY', 'STATUS', 'BYTES', 'CLIENT', 'SIGNER', 'LINK'];
const shortId = (id: string) => id.slice(0, 12);

function logRows(entries: readonly LinkLogEntry[]): string[][] {
  return entries.map((e) => [
    formatTime(e.time), e.method, e.bucket ?? '-', e.key ?? '-', e.status === 0 ? '-' : String(e.status), String(e.bytes), e.clientIp,
    `${e.user} (${e.accessKeyId})`, shortId(e.link),
  ]);
}

function showFields(link: LinkView): [string, string][] {
  const signer = link.signer ? `${link.signer} (${link.accessKeyId})` : `${link.accessKeyId} (unknown key)`;
  const expires = link.expiresAt === null ? '-' : `${formatTime(link.expiresAt)}${link.expired ? ' (expired)' : ''}`;
  return [
    ['Link', link.id],
    ['Signer', signer],
    ['Signature', `SigV${link.signatureVersion}`],
    ['Bucket', link.bucket ?? '-'],
    ['Key', link.key ?? '-'],
    ['Signed', formatTime(link.signedAt)],
    ['Expires', expires],
    ['Max uses', link.maxUses == null ? 'unlimited' : String(link.maxUses)],
    ['Source IP', link.sourceIp ?? 'any'],
    ['Uses', String(link.uses ?? 0)],
    ['Last use', formatTime(link.lastUsedAt)],
    ['Revoked', link.revoked ? `yes (${link.revokedBy === 'link' ? 'this link' : link.revokedBy === 'signer' ? 'all links of its key' : "all links on its bucket"})` : 'no'],
  ];
}

/** A URL, or a POST policy's form fields as JSON (bare, or as presignPost and boto3 give them: {url, fields}). */
function linkArgument(text: string): { url: string } | { form: unknown } {
  if (!text.trim().startsWith('{')) return { url: text };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { url: text };
  }
  const fields = typeof parsed === 'object' && parsed !== null && 'fields' in parsed ? parsed.fields : parsed;
  return { form: fields };
}

export const linkCommands: CommandGroup = {
  name: 'link',
  summary: 'revoke and inspect pre-signed links, read their audit log',
  subcommands: [
    {
      words: ['revoke'],
      args: ['URL'],
      summary: "revoke one pre-signed link until it expires (or a POST policy: its form fields as JSON, e.g. presignPost's {url, fields})",
      async run(ctx, [url = '']) {
        const { body } = await ctx.client().admin<{ link: LinkView }>('POST', '/links/revoke', { json: linkArgument(url) });
        ctx.print(ctx.json ? formatJson(body.link) : `Revoked link ${shortId(body.link.id)} (signed by ${body.link.accessKeyId}, expires ${formatTime(body.link.expiresAt)}).\n`);
      },
    },
    {
      words: ['show'],
      args: ['URL'],
      summary: 'show who signed a link, its expiry, controls, uses and whether it is revoked',
      async run(ctx, [url = '']) {
        const { body } = await ctx.client().admin<{ link: LinkView }>('POST', '/links/show', { json: linkArgument(url) });
        ctx.print(ctx.json ? formatJson(body.link) : formatFields(showFields(body.link)));
      },
    },
    {
      words: ['log'],
      args: [],
      options: { bucket: 'B', key: 'K', signer: 'ID', since: 'T' },
      summary: 'requests made through pre-signed links, oldest first (newest 1000)',
      async run(ctx, _args, options) {
        const params = new URLSearchParams();
        for (const name of ['bucket', 'key', 'signer'] as const) {
          const value = options[name];
          if (typeof value === 'string') params.set(name, value);
        }
        if (typeof options['since'] === 'string') params.set('since', sinceOption(options['since']));
        const query = params.toString().replace(/\+/g, '%20');
        const { body } = await ctx.client().admin<{ entries: LinkLogEntry[]; truncated: boolean }>('GET', '/links/log', query ? { query } : {});
        if (body.truncated) ctx.note('Only the newest entries are shown; narrow with --since or a filter.\n');
        if (ctx.json) ctx.print(formatJson(body.entries));
        else ctx.print(body.entries.length === 0 ? 'No requests through links.\n' : formatTable(LOG_HEADERS, logRows(body.entries)));
      },
    },
  ],
};
