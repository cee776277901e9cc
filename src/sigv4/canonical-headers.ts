export type HeaderValues = string | readonly string[] | undefined;

/** Trim and collapse inner runs of whitespace (obs-fold continuation lines included). */
export function canonicalHeaderValue(value: HeaderValues): string {
  if (value === undefined) return '';
  const values = typeof value === 'string' ? [value] : value;
  return values.map((v) => v.trim().replace(/\s+/g, ' ')).join(',');
}

/** "name:value\n" for each signed header, in SignedHeaders order. */
export function canonicalHeaders(signedHeaders: readonly string[], lookup: (name: string) => HeaderValues): string {
  return signedHeaders.map((name) => `${name}:${canonicalHeaderValue(lookup(name))}\n`).join('');
}
