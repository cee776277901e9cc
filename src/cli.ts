import { ConfigError, loadServerConfig } from './server/config.js';
import { createLogger } from './logger.js';
import { clientUsage, runClientCommand } from './cli/dispatch.js';
import { PRESIGN_USAGE, runPresign } from './cli/commands/presign.js';
import { METADATA_USAGE, runMetadata } from './cli/commands/metadata.js';
import { BACKUP_USAGE, RESTORE_USAGE, runBackup, runRestore } from './cli/commands/backup.js';
import { UsageError } from './cli/errors.js';
import { serverHelp } from './cli/server-help.js';
import { packageVersion } from './cli/version.js';

const HELP = `latchkey: a self-hosted S3-compatible object store built around pre-signed URLs

Usage:
  latchkey server [flags]         (latchkey server --help lists every flag)
${clientUsage()}  ${PRESIGN_USAGE}
  ${BACKUP_USAGE}
  ${RESTORE_USAGE}
  ${METADATA_USAGE}
  latchkey --version
  latchkey help

Client commands take --endpoint-url URL, --region R, --profile NAME and --json
(run 'latchkey user --help' and so on); credentials come from AWS_ACCESS_KEY_ID /
AWS_SECRET_ACCESS_KEY or a profile in ~/.aws/credentials, as for the aws CLI.

Server flags, their environment variables and defaults: latchkey server --help.
`;

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'server': {
      if (rest.includes('--help') || rest.includes('-h')) {
        process.stdout.write(serverHelp());
        return 0;
      }
      const config = loadServerConfig(rest, process.env);
      // Loaded only here: client commands need none of the storage and server code.
      const { runServer } = await import('./server/run.js');
      await runServer(config, createLogger(process.stdout));
      return 0;
    }
    case 'user':
    case 'key':
    case 'policy':
    case 'bucket':
    case 'link':
      return runClientCommand(command, rest, { stdout: process.stdout, stderr: process.stderr, env: process.env, stdin: process.stdin });
    case 'metadata':
      return runMetadata(rest, { stdout: process.stdout, stderr: process.stderr });
    case 'backup':
      return runBackup(rest, { stdout: process.stdout, stderr: process.stderr, env: process.env });
    case 'restore':
      return runRestore(rest, { stdout: process.stdout, stderr: process.stderr, env: process.env });
    case 'presign':
      return runPresign(rest, { stdout: process.stdout, stderr: process.stderr, env: process.env, stdin: process.stdin });
    case '--version':
    case '-V':
    case 'version':
      process.stdout.write(`latchkey ${packageVersion()}\n`);
      return 0;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(HELP);
      return 0;
    default:
      process.stderr.write(`latchkey: unknown command '${command}'\n\n${HELP}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const usage = error instanceof ConfigError || error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`latchkey: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = usage ? 2 : 1;
  },
);
