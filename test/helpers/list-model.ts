/**
 * A deliberately naive ListObjects: sort every key by UTF-8 bytes, roll up,
 * filter, slice. Tests compare the real (seeking) implementations against it.
 */
export interface ModelQuery {
  prefix?: string | undefined;
  delimiter?: string | undefined;
  after?: string | undefined;
  maxKeys: number;
}

export interface ModelPage {
  contents: string[];
  commonPrefixes: string[];
  isTruncated: boolean;
  nextAfter: string | undefined;
}

export function byteCompare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Every entry (key or common prefix) in listing order, ignoring max-keys. */
export function modelEntries(keys: readonly string[], q: Omit<ModelQuery, 'maxKeys'>): Array<{ kind: 'key' | 'prefix'; value: string }> {
  const prefix = q.prefix ?? '';
  const delimiter = q.delimiter === '' ? undefined : q.delimiter;
  const sorted = [...new Set(keys)].sort(byteCompare);
  const entries: Array<{ kind: 'key' | 'prefix'; value: string }> = [];
  for (const key of sorted) {
    if (!key.startsWith(prefix)) continue;
    const cut = delimiter === undefined ? -1 : key.indexOf(delimiter, prefix.length);
    const entry = cut >= 0 && delimiter !== undefined
      ? { kind: 'prefix' as const, value: key.slice(0, cut + delimiter.length) }
      : { kind: 'key' as const, value: key };
    if (q.after !== undefined && byteCompare(entry.value, q.after) <= 0) continue;
    const last = entries[entries.length - 1];
    if (last !== undefined && last.kind === entry.kind && last.value === entry.value) continue;
    entries.push(entry);
  }
  return entries;
}

export function modelList(keys: readonly string[], q: ModelQuery): ModelPage {
  if (q.maxKeys <= 0) return { contents: [], commonPrefixes: [], isTruncated: false, nextAfter: undefined };
  const entries = modelEntries(keys, q);
  const page = entries.slice(0, q.maxKeys);
  const isTruncated = entries.length > q.maxKeys;
  return {
    contents: page.filter((e) => e.kind === 'key').map((e) => e.value),
    commonPrefixes: page.filter((e) => e.kind === 'prefix').map((e) => e.value),
    isTruncated,
    nextAfter: isTruncated ? page[page.length - 1]?.value : undefined,
  };
}
