import { readFile, rename } from 'node:fs/promises';
import type { ConsoleStore, IssuedLink } from '../storage/console-store.js';

type LogLine = { readonly type: 'issued'; readonly link: IssuedLink } | { readonly type: 'revoked'; readonly id: string; readonly at: string };

/**
 * Earlier versions logged console links to a file in the data dir
 * (console/links.jsonl, one JSON line per issue or revocation). On start its
 * links move into the metadata database, and the file is renamed so it is
 * read once: adding is idempotent, so two nodes importing at once, or a crash
 * before the rename, only repeat work. Returns how many links were read.
 */
export async function importLinkLog(path: string, store: ConsoleStore): Promise<number> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  const links = new Map<string, IssuedLink>();
  for (const raw of text.split('\n')) {
    let line: LogLine;
    try {
      line = JSON.parse(raw) as LogLine;
    } catch {
      continue; // a blank or torn line (a crash mid-append)
    }
    if (line.type === 'issued') links.set(line.link.id, line.link);
    else {
      const link = links.get(line.id);
      if (link) links.set(line.id, { ...link, revokedAt: line.at });
    }
  }
  for (const link of links.values()) await store.addIssuedLink(link);
  try {
    await rename(path, `${path}.imported`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error; // another node renamed it first
  }
  return links.size;
}
