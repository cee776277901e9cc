import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { ConfigError } from '../../server/config.js';

export const METADATA_USAGE = 'latchkey metadata copy --from sqlite:DATA_DIR --to postgres://USER:PASS@HOST:PORT/DB';

/**
 * `latchkey metadata copy`: an offline move of a single node's metadata to
 * PostgreSQL. Stop the server first; afterwards start nodes with
 * --metadata set to the same URL and --data on the same data dir.
 */
export async function runMetadata(args: readonly string[], io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'copy') throw new ConfigError(`usage: ${METADATA_USAGE}`);
  const { values } = parseArgs({ args: rest, options: { from: { type: 'string' }, to: { type: 'string' } }, strict: true, allowPositionals: false });
  const from = /^sqlite:(.+)$/.exec(values.from ?? '');
  if (from?.[1] === undefined) throw new ConfigError(`--from must be sqlite:DATA_DIR; usage: ${METADATA_USAGE}`);
  if (!/^postgres(ql)?:\/\/./.test(values.to ?? '')) throw new ConfigError(`--to must be a postgres:// URL; usage: ${METADATA_USAGE}`);
  const { copySqliteToPostgres } = await import('../../storage/metadata-copy.js');
  const report = await copySqliteToPostgres(resolve(from[1]), values.to ?? '', (line) => io.stderr.write(`${line}\n`));
  io.stdout.write(`${JSON.stringify({ copied: report.rows })}\n`);
  return 0;
}
