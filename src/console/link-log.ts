import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** What the console remembers about a link it issued: never the URL itself, so the file is no key ring. */
export interface IssuedLink {
  readonly id: string;
  readonly kind: 'download' | 'upload-object' | 'upload-prefix';
  readonly bucket: string;
  /** The object key, or the key prefix for an upload-prefix link. */
  readonly key: string;
  /** Who signed it (a user name, or 'root'), and with which long-term key. */
  readonly issuer: string;
  readonly accessKeyId: string;
  /** Hex SHA-256 of the signature: how revocation and the audit log name the link (the signature itself is a bearer secret). */
  readonly linkId: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly maxUses?: number;
  readonly downloadName?: string;
  readonly contentType?: string;
  readonly maxSize?: number;
  revokedAt?: string;
}

type LogLine = { readonly type: 'issued'; readonly link: IssuedLink } | { readonly type: 'revoked'; readonly id: string; readonly at: string };

/**
 * Links issued from the console, one JSON line per event in the data dir
 * (issued, revoked): append-only, so a crash loses at most the line being
 * written, and a torn last line is skipped on reading.
 */
export class LinkLog {
  private links: Map<string, IssuedLink> | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly path: string) {}

  async add(link: IssuedLink): Promise<void> {
    (await this.load()).set(link.id, link);
    await this.append({ type: 'issued', link });
  }

  async markRevoked(id: string, at: Date): Promise<void> {
    const link = (await this.load()).get(id);
    if (link === undefined) return;
    link.revokedAt = at.toISOString();
    await this.append({ type: 'revoked', id, at: link.revokedAt });
  }

  async get(id: string): Promise<IssuedLink | undefined> {
    return (await this.load()).get(id);
  }

  /** Newest first; root sees every link, a user their own. */
  async list(issuer: string | undefined): Promise<IssuedLink[]> {
    const all = [...(await this.load()).values()];
    return all.filter((l) => issuer === undefined || l.issuer === issuer).sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
  }

  private append(line: LogLine): Promise<void> {
    const write = this.writing.then(async () => {
      await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
      await appendFile(this.path, `${JSON.stringify(line)}\n`, { mode: 0o600 });
    });
    this.writing = write.catch(() => undefined);
    return write;
  }

  private async load(): Promise<Map<string, IssuedLink>> {
    if (this.links) return this.links;
    const links = new Map<string, IssuedLink>();
    let text = '';
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    for (const raw of text.split('\n')) {
      if (raw.trim() === '') continue;
      let line: LogLine;
      try {
        line = JSON.parse(raw) as LogLine;
      } catch {
        continue;
      }
      if (line.type === 'issued') links.set(line.link.id, { ...line.link });
      else {
        const link = links.get(line.id);
        if (link) link.revokedAt = line.at;
      }
    }
    this.links ??= links;
    return this.links;
  }
}
