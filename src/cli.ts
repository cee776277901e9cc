#!/usr/bin/env node
import './threadpool.js';
import { ConfigError, loadServerConfig } from './server/config.js';
import { createLogger } from './server/logger.js';
import { clientUsage, runClientCommand } from './cli/dispatch.js';
import { PRESIGN_USAGE, runPresign } from './cli/commands/presign.js';

const HELP = `latchkey: a self-hosted S3-compatible object store built around pre-signed URLs

Usage:
  latchkey server [--address HOST:PORT] [--data DIR] [--region R] [--domain D] [--public-url URL]
                  [--console-address HOST:PORT | --no-console] [--min-free SIZE] [--body-timeout DURATION]
${clientUsage()}  ${PRESIGN_USAGE}
  latchkey help

Client commands take --endpoint-url URL, --region R, --profile NAME and --json
(run 'latchkey user --help' and so on); credentials come from AWS_ACCESS_KEY_ID /
AWS_SECRET_ACCESS_KEY or a profile in ~/.aws/credentials, as for the aws CLI.

Environment: LATCHKEY_ADDRESS (default 127.0.0.1:9000), LATCHKEY_DATA_DIR (default ./data),
LATCHKEY_REGION (default us-east-1), LATCHKEY_DOMAIN, LATCHKEY_PUBLIC_URL,
LATCHKEY_CONSOLE_ADDRESS (the web console; default 127.0.0.1:9001),
LATCHKEY_ROOT_ACCESS_KEY / LATCHKEY_ROOT_SECRET_KEY (generated on first start when unset),
LATCHKEY_MASTER_KEY or --master-key-file (the key sealing secrets at rest; generated into the data dir when unset),
LATCHKEY_AUDIT_RETENTION or --audit-retention (how long requests through links are kept in the audit log; default 30d),
LATCHKEY_SIGV2 or --sigv2 on|off (accept legacy SigV2 signatures; default on),
LATCHKEY_MIN_FREE or --min-free (free space kept on the data dir's filesystem; writes that would
use it answer 507 InsufficientStorage; default 1GiB),
LATCHKEY_BODY_TIMEOUT or --body-timeout (a request body bringing under 1 KiB in this long is cut off; default 60s),
LATCHKEY_TRUSTED_PROXY or --trusted-proxy CIDR[,CIDR...] (proxies whose X-Forwarded-For names the client; default none).
One server per data dir: a second one on a dir in use exits with status 1.
`;

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'server': {
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
    case 'presign':
      return runPresign(rest, { stdout: process.stdout, stderr: process.stderr, env: process.env, stdin: process.stdin });
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
    const usage = error instanceof ConfigError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`latchkey: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = usage ? 2 : 1;
  },
);
