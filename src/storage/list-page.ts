/**
 * What every listing shares (objects, versions, multipart uploads): `rollUp`
 * says which keys a delimiter groups into one common prefix, a plan gathers
 * entries in listing order, one more than the page holds when there are more,
 * and `cutPage` keeps the page and says where the next one starts.
 */

/**
 * The common prefix `key` (which starts with `prefix`) rolls up into: the key
 * through the first delimiter after the prefix. Undefined when the key is
 * listed itself (no delimiter asked for, or none past the prefix).
 */
export function rollUp(key: string, prefix: string, delimiter: string | undefined): string | undefined {
  if (delimiter === undefined || delimiter === '') return undefined;
  const cut = key.indexOf(delimiter, prefix.length);
  return cut === -1 ? undefined : key.slice(0, cut + delimiter.length);
}

/** A listed entry: an item (object, version, upload) or a common prefix standing for a group of keys. */
export type PageEntry<T> = { readonly kind: 'item'; readonly item: T } | { readonly kind: 'prefix'; readonly prefix: string };

export interface CutPage<T> {
  readonly items: T[];
  readonly commonPrefixes: string[];
  /** More entries follow the page (the plan found one past `maxKeys`). */
  readonly isTruncated: boolean;
  /** When truncated: the page's last entry's key (or common prefix), which the next page starts after. */
  readonly nextKey: string | undefined;
  /** When truncated and the last entry is an item: that item (its version or upload id marks the next page too). */
  readonly lastItem: T | undefined;
}

export function cutPage<T extends { readonly key: string }>(entries: readonly PageEntry<T>[], maxKeys: number): CutPage<T> {
  const isTruncated = entries.length > maxKeys;
  const page = isTruncated ? entries.slice(0, maxKeys) : entries;
  const last = isTruncated ? page[page.length - 1] : undefined;
  return {
    items: page.flatMap((e) => (e.kind === 'item' ? [e.item] : [])),
    commonPrefixes: page.flatMap((e) => (e.kind === 'prefix' ? [e.prefix] : [])),
    isTruncated,
    nextKey: last === undefined ? undefined : last.kind === 'item' ? last.item.key : last.prefix,
    lastItem: last?.kind === 'item' ? last.item : undefined,
  };
}
