import type Database from 'better-sqlite3';
import type { Durably, Read } from './sqlite-work.js';
import { ISSUED_LINK_COLUMNS, toIssuedLink, toIssuedLinkRow, type ConsoleStore, type IssuedLink, type IssuedLinkRow } from '../console-store.js';


/** ConsoleStore on the metadata database's connection (migration 8). */
export class SqliteConsoleStore implements ConsoleStore {
  private readonly stmt;

  constructor(
    db: Database.Database,
    private readonly durably: Durably,
    private readonly read: Read,
  ) {
    this.stmt = {
      forgetFailures: db.prepare<[number]>('DELETE FROM console_signin_failures WHERE at < ?'),
      insertFailure: db.prepare<[string, string, number]>('INSERT INTO console_signin_failures (address, access_key_id, at) VALUES (?, ?, ?)'),
      failures: db.prepare<[string, string, number, number], { at: number }>(
        'SELECT at FROM console_signin_failures WHERE address = ? AND access_key_id = ? AND at >= ? ORDER BY at DESC LIMIT ?'),
      insertLink: db.prepare<IssuedLinkRow>(
        `INSERT INTO console_links (${ISSUED_LINK_COLUMNS.join(', ')}) VALUES (${ISSUED_LINK_COLUMNS.map((c) => `:${c}`).join(', ')}) ON CONFLICT (id) DO NOTHING`),
      revokeLink: db.prepare<[number, string]>('UPDATE console_links SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
      link: db.prepare<[string], IssuedLinkRow>('SELECT * FROM console_links WHERE id = ?'),
      allLinks: db.prepare<[], IssuedLinkRow>('SELECT * FROM console_links ORDER BY created_at DESC, id'),
      issuerLinks: db.prepare<[string], IssuedLinkRow>('SELECT * FROM console_links WHERE issuer = ? ORDER BY created_at DESC, id'),
    };
    this.recordFailure = db.transaction((address: string, accessKeyId: string, at: number, forgetBefore: number) => {
      this.stmt.forgetFailures.run(forgetBefore);
      this.stmt.insertFailure.run(address, accessKeyId, at);
    });
  }

  private readonly recordFailure: Database.Transaction<(address: string, accessKeyId: string, at: number, forgetBefore: number) => void>;

  recordSignInFailure(address: string, accessKeyId: string, at: Date, forgetBefore: Date): Promise<void> {
    return this.durably(() => this.recordFailure.immediate(address, accessKeyId, at.getTime(), forgetBefore.getTime()));
  }

  signInFailures(address: string, accessKeyId: string, since: Date, limit: number): Promise<Date[]> {
    return this.read(() => this.stmt.failures.all(address, accessKeyId, since.getTime(), limit).map((r) => new Date(r.at)));
  }

  addIssuedLink(link: IssuedLink): Promise<void> {
    return this.durably(() => {
      this.stmt.insertLink.run(toIssuedLinkRow(link));
    });
  }

  markIssuedLinkRevoked(id: string, at: Date): Promise<IssuedLink | null> {
    return this.durably(() => {
      this.stmt.revokeLink.run(at.getTime(), id);
      const row = this.stmt.link.get(id);
      return row === undefined ? null : toIssuedLink(row);
    });
  }

  getIssuedLink(id: string): Promise<IssuedLink | null> {
    return this.read(() => {
      const row = this.stmt.link.get(id);
      return row === undefined ? null : toIssuedLink(row);
    });
  }

  listIssuedLinks(issuer: string | undefined): Promise<IssuedLink[]> {
    return this.read(() => (issuer === undefined ? this.stmt.allLinks.all() : this.stmt.issuerLinks.all(issuer)).map(toIssuedLink));
  }
}
