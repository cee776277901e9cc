import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { it } from 'node:test';
import postgres from 'postgres';

/**
 * The PostgreSQL the tests use: LATCHKEY_TEST_POSTGRES_URL (a role allowed to
 * create schemas and databases). Each test gets its own schema, so tests in
 * parallel never see each other's rows.
 */
export const PG_URL_ENV = 'LATCHKEY_TEST_POSTGRES_URL';

export type PgAvailability = { readonly url: string } | { readonly url: undefined; readonly reason: string };

let probed: Promise<PgAvailability> | undefined;

/** Whether the test database answers; probed once per process. */
export function testPostgres(): Promise<PgAvailability> {
  probed ??= (async () => {
    const url = process.env[PG_URL_ENV];
    if (url === undefined || url === '') return { url: undefined, reason: `${PG_URL_ENV} is not set` };
    const sql = postgres(url, { max: 1, connect_timeout: 3, onnotice: () => undefined });
    try {
      await sql`SELECT 1`;
      return { url };
    } catch (error) {
      return { url: undefined, reason: `PostgreSQL at ${PG_URL_ENV} is unreachable: ${String(error)}` };
    } finally {
      await sql.end({ timeout: 1 });
    }
  })();
  return probed;
}

/**
 * The option to give a PostgreSQL suite: skip it with the reason outside CI;
 * in CI (CI=true) a missing database is a failure, never a silent skip, so
 * this also registers a failing test then.
 */
export async function postgresSuiteOptions(): Promise<{ skip?: string }> {
  const pg = await testPostgres();
  if (pg.url !== undefined) return {};
  if (process.env['CI'] === 'true') {
    it('PostgreSQL is available in CI', () => assert.fail(pg.reason));
    return { skip: pg.reason };
  }
  return { skip: pg.reason };
}

/** The URL, once the suite knows it is there. */
export async function requirePostgresUrl(): Promise<string> {
  const pg = await testPostgres();
  if (pg.url === undefined) throw new Error(pg.reason);
  return pg.url;
}

export interface TestSchema {
  readonly url: string;
  readonly schema: string;
  drop(): Promise<void>;
}

/** A new, empty schema of its own for one test. */
export async function createTestSchema(): Promise<TestSchema> {
  const url = await requirePostgresUrl();
  const schema = `t_${randomBytes(8).toString('hex')}`;
  const admin = postgres(url, { max: 1, onnotice: () => undefined });
  try {
    await admin.unsafe(`CREATE SCHEMA ${schema}`);
  } finally {
    await admin.end({ timeout: 1 });
  }
  return {
    url,
    schema,
    async drop() {
      const sql = postgres(url, { max: 1, onnotice: () => undefined });
      try {
        await sql.unsafe(`DROP SCHEMA ${schema} CASCADE`);
      } finally {
        await sql.end({ timeout: 1 });
      }
    },
  };
}

export interface TestDatabase {
  /** A URL naming the new database. */
  readonly url: string;
  drop(): Promise<void>;
}

/** A new database of its own (for a server, which uses the URL's default schema). */
export async function createTestDatabase(): Promise<TestDatabase> {
  const base = await requirePostgresUrl();
  const name = `latchkey_t_${randomBytes(8).toString('hex')}`;
  const admin = postgres(base, { max: 1, onnotice: () => undefined });
  try {
    await admin.unsafe(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end({ timeout: 1 });
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const sql = postgres(base, { max: 1, onnotice: () => undefined });
      try {
        await sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await sql.end({ timeout: 1 });
      }
    },
  };
}
