import { ISSUED_LINK_COLUMNS, toIssuedLink, toIssuedLinkRow, type ConsoleStore, type IssuedLink, type IssuedLinkRow } from '../console-store.js';
import { guarded, type Sql } from './pg-connection.js';

/**
 * ConsoleStore on PostgreSQL: failed sign-ins and issued links are rows every
 * node reads, so a limit reached through one node holds on the others and a
 * link issued through one is listed and revoked through any.
 */
export class PgConsoleStore implements ConsoleStore {
  constructor(private readonly sql: Sql) {}

  recordSignInFailure(address: string, accessKeyId: string, at: Date, forgetBefore: Date): Promise<void> {
    return guarded(() => this.sql.begin(async (tx) => {
      await tx`DELETE FROM console_signin_failures WHERE at < ${forgetBefore.getTime()}`;
      await tx`INSERT INTO console_signin_failures (address, access_key_id, at) VALUES (${address}, ${accessKeyId}, ${at.getTime()})`;
    }));
  }

  signInFailures(address: string, accessKeyId: string, since: Date, limit: number): Promise<Date[]> {
    return guarded(async () => {
      const rows = await this.sql<{ at: number }[]>`
        SELECT at FROM console_signin_failures WHERE address = ${address} AND access_key_id = ${accessKeyId} AND at >= ${since.getTime()}
        ORDER BY at DESC LIMIT ${limit}`;
      return rows.map((r) => new Date(r.at));
    });
  }

  addIssuedLink(link: IssuedLink): Promise<void> {
    return guarded(async () => {
      await this.sql`INSERT INTO console_links ${this.sql(toIssuedLinkRow(link), ...ISSUED_LINK_COLUMNS)} ON CONFLICT (id) DO NOTHING`;
    });
  }

  markIssuedLinkRevoked(id: string, at: Date): Promise<IssuedLink | null> {
    return guarded(async () => {
      // One statement: of two nodes revoking at once, the first time stays.
      const [row] = await this.sql<IssuedLinkRow[]>`
        UPDATE console_links SET revoked_at = coalesce(revoked_at, ${at.getTime()}) WHERE id = ${id} RETURNING *`;
      return row === undefined ? null : toIssuedLink(row);
    });
  }

  getIssuedLink(id: string): Promise<IssuedLink | null> {
    return guarded(async () => {
      const [row] = await this.sql<IssuedLinkRow[]>`SELECT * FROM console_links WHERE id = ${id}`;
      return row === undefined ? null : toIssuedLink(row);
    });
  }

  listIssuedLinks(issuer: string | undefined): Promise<IssuedLink[]> {
    return guarded(async () => {
      const rows = await this.sql<IssuedLinkRow[]>`
        SELECT * FROM console_links ${issuer === undefined ? this.sql`` : this.sql`WHERE issuer = ${issuer}`} ORDER BY created_at DESC, id COLLATE "C"`;
      return rows.map(toIssuedLink);
    });
  }
}
