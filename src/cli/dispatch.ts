import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { LatchkeyClient } from './admin-client.js';
import type { Env } from './aws-files.js';
import { CLIENT_OPTIONS, resolveClientConfig } from './client-config.js';
import { usageOf, type CommandContext, type CommandGroup, type Subcommand } from './command.js';
import { bucketCommands } from './commands/bucket.js';
import { keyCommands } from './commands/key.js';
import { linkCommands } from './commands/link.js';
import { policyCommands } from './commands/policy.js';
import { userCommands } from './commands/user.js';
import { ApiError, CliConfigError, TransportError, UsageError } from './errors.js';
import type { OutputStreams } from './output.js';

export const GROUPS: readonly CommandGroup[] = [userCommands, keyCommands, policyCommands, bucketCommands, linkCommands];

export interface CliIO extends OutputStreams {
  readonly env: Env;
  readonly stdin: AsyncIterable<Buffer | string>;
}

const COMMON_OPTIONS_HELP = `Options (every command):
  --endpoint-url URL  server address (LATCHKEY_ENDPOINT, default http://127.0.0.1:9000)
  --region R          signing region (AWS_REGION, AWS_DEFAULT_REGION, the profile's region, default us-east-1)
  --profile NAME      profile in ~/.aws/credentials or ~/.aws/config (AWS_PROFILE, default "default")
  --json              print JSON for scripts
Credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, else the profile.
Exit status: 0 success, 1 the server refused (its error code is printed), 2 usage or local configuration error.
`;

/** The usage lines of every client command, for the top-level help. */
export function clientUsage(indent = '  '): string {
  return GROUPS.flatMap((group) => group.subcommands.map((sub) => `${indent}${usageOf(group, sub)}\n`)).join('');
}

function groupHelp(group: CommandGroup): string {
  const lines = group.subcommands.map((sub) => [usageOf(group, sub), sub.summary] as const);
  const width = Math.max(...lines.map(([usage]) => usage.length));
  return `latchkey ${group.name}: ${group.summary}\n\nUsage:\n${lines.map(([u, s]) => `  ${u.padEnd(width)}  ${s}\n`).join('')}\n${COMMON_OPTIONS_HELP}`;
}

/** Runs `latchkey GROUP ...`; answers the exit status after writing the result or a one-line reason. */
export async function runClientCommand(groupName: string, args: readonly string[], io: CliIO): Promise<number> {
  const group = GROUPS.find((g) => g.name === groupName);
  try {
    if (!group) throw new UsageError(`unknown command '${groupName}'`);
    const first = args[0];
    if (first === '--help' || first === '-h' || first === 'help') {
      io.stdout.write(groupHelp(group));
      return 0;
    }
    const sub = group.subcommands.find((s) => s.words.every((word, i) => args[i] === word));
    if (!sub) {
      const usage = `run 'latchkey ${group.name} --help' for its commands`;
      throw new UsageError(first === undefined ? `${group.name}: missing command; ${usage}` : `${group.name}: unknown command '${first}'; ${usage}`);
    }
    return await runSubcommand(group, sub, args.slice(sub.words.length), io);
  } catch (error) {
    return report(error, io);
  }
}

async function runSubcommand(group: CommandGroup, sub: Subcommand, args: readonly string[], io: CliIO): Promise<number> {
  const usage = usageOf(group, sub);
  const extra = Object.fromEntries(Object.keys({ ...sub.requiredOptions, ...sub.options }).map((name) => [name, { type: 'string' as const }]));
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args, extra);
  } catch (error) {
    // parseArgs explains at length how to pass '-'-prefixed positionals; the first sentence is the reason.
    const reason = error instanceof Error ? (error.message.split(/\.\s/)[0] ?? error.message) : String(error);
    throw new UsageError(`${reason}; usage: ${usage}`);
  }
  const values: Record<string, string | boolean | undefined> = parsed.values;
  const { positionals } = parsed;
  if (values['help'] === true) {
    io.stdout.write(`${usage} [options]\n  ${sub.summary}\n\n${COMMON_OPTIONS_HELP}`);
    return 0;
  }
  const required = sub.args.filter((a) => !a.startsWith('['));
  if (positionals.length < required.length) throw new UsageError(`missing ${required[positionals.length]}; usage: ${usage}`);
  if (positionals.length > sub.args.length) throw new UsageError(`unexpected argument '${positionals[sub.args.length]}'; usage: ${usage}`);
  for (const name of Object.keys(sub.requiredOptions ?? {})) {
    if (typeof values[name] !== 'string' || values[name] === '') throw new UsageError(`missing --${name}; usage: ${usage}`);
  }
  await sub.run(context(values, io), positionals, values);
  return 0;
}

function parse(args: readonly string[], extra: Record<string, { type: 'string' }>) {
  return parseArgs({
    args: [...args],
    options: { ...CLIENT_OPTIONS, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, ...extra },
    allowPositionals: true,
    strict: true,
  });
}

function context(values: Record<string, string | boolean | undefined>, io: CliIO): CommandContext {
  let client: LatchkeyClient | undefined;
  const flag = (name: string) => (typeof values[name] === 'string' ? values[name] : undefined);
  return {
    json: values['json'] === true,
    client() {
      client ??= new LatchkeyClient(resolveClientConfig({ 'endpoint-url': flag('endpoint-url'), region: flag('region'), profile: flag('profile') }, io.env));
      return client;
    },
    async readInput(file) {
      try {
        if (file !== '-') return await readFile(file);
        const chunks: Buffer[] = [];
        for await (const chunk of io.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
        return Buffer.concat(chunks);
      } catch (error) {
        throw new CliConfigError(`cannot read ${file === '-' ? 'standard input' : file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      }
    },
    print: (text) => io.stdout.write(text),
    note: (text) => io.stderr.write(text),
  };
}

function report(error: unknown, io: CliIO): number {
  const oneLine = (text: string) => text.replace(/\s*\n\s*/g, ' ').trim();
  if (error instanceof UsageError || error instanceof CliConfigError) {
    io.stderr.write(`latchkey: ${oneLine(error.message)}\n`);
    return 2;
  }
  if (error instanceof ApiError) {
    const message = error.message ? `: ${oneLine(error.message)}` : '';
    io.stderr.write(`latchkey: ${error.code} (HTTP ${error.status})${message}\n`);
    return 1;
  }
  if (error instanceof TransportError) {
    io.stderr.write(`latchkey: ${oneLine(error.message)}\n`);
    return 1;
  }
  throw error;
}
