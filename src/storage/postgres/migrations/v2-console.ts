import type { PgMigration } from './pg-migration.js';

/** Console state every node shares: sign-in failures and the links it issued. */
export const v2Console: PgMigration = {
  version: 2,
  name: 'console sign-in failures and issued links',
  sql: `
      -- One row per failed console sign-in, kept for the limiter's window: every node counts the same failures.
      CREATE TABLE console_signin_failures (
        address       text   NOT NULL,
        access_key_id text   NOT NULL,
        at            bigint NOT NULL
      );
      CREATE INDEX console_signin_failures_by_pair ON console_signin_failures (address, access_key_id, at);
      CREATE INDEX console_signin_failures_by_time ON console_signin_failures (at);

      -- Links issued from the console (never their URL or signature): every node lists and revokes the same ones.
      CREATE TABLE console_links (
        id            text    PRIMARY KEY,
        kind          text    NOT NULL CHECK (kind IN ('download', 'upload-object', 'upload-prefix')),
        bucket        text    NOT NULL,
        key           text    NOT NULL,
        issuer        text    NOT NULL,
        access_key_id text    NOT NULL,
        link_id       text    NOT NULL,
        created_at    bigint  NOT NULL,
        expires_at    bigint  NOT NULL,
        max_uses      integer,
        download_name text,
        content_type  text,
        max_size      bigint,
        revoked_at    bigint
      );
      CREATE INDEX console_links_by_issuer ON console_links (issuer, created_at);
      CREATE INDEX console_links_by_time ON console_links (created_at);
    `,
};
