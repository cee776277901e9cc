import type { LatchkeyClient } from './admin-client.js';

export type OptionValues = Readonly<Record<string, string | boolean | undefined>>;

/** What a subcommand gets to do its work. */
export interface CommandContext {
  /** --json: print one JSON document on stdout instead of text for people. */
  readonly json: boolean;
  /** Resolves endpoint, region and credentials on first use, so --help needs none. */
  client(): LatchkeyClient;
  /** A file's bytes; '-' reads standard input. Throws CliConfigError when it cannot. */
  readInput(file: string): Promise<Buffer>;
  /** Result text or JSON, on stdout. */
  print(text: string): void;
  /** Remarks for people, on stderr, so piping stdout stays clean. */
  note(text: string): void;
}

export interface Subcommand {
  /** The words after the group, e.g. ['add'] or ['policy', 'set']. */
  readonly words: readonly string[];
  /** Positional arguments; '[NAME]' is optional. */
  readonly args: readonly string[];
  /** Options beyond the common ones; each string option listed here is required. */
  readonly requiredOptions?: Readonly<Record<string, string>>;
  /** String options that may be left out, with the placeholder shown in the usage line. */
  readonly options?: Readonly<Record<string, string>>;
  readonly summary: string;
  run(context: CommandContext, args: readonly string[], options: OptionValues): Promise<void>;
}

export interface CommandGroup {
  readonly name: string;
  readonly summary: string;
  readonly subcommands: readonly Subcommand[];
}

export function usageOf(group: CommandGroup, sub: Subcommand): string {
  const options = [
    ...Object.entries(sub.requiredOptions ?? {}).map(([name, meta]) => `--${name} ${meta}`),
    ...Object.entries(sub.options ?? {}).map(([name, meta]) => `[--${name} ${meta}]`),
  ];
  return ['latchkey', group.name, ...sub.words, ...sub.args, ...options].join(' ');
}
