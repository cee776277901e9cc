/** Where a command writes: stdout for results, stderr for notes that must not pollute piped output. */
export interface OutputStreams {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

/**
 * Columns separated by two spaces, each as wide as its widest cell; the last column is not
 * padded so lines carry no trailing blanks. Widths count code points, which is right for
 * the ASCII names and ids shown here.
 */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const width = (text: string) => [...text].length;
  const widths = headers.map((header, i) => Math.max(width(header), ...rows.map((row) => width(row[i] ?? ''))));
  const line = (cells: readonly string[]) =>
    headers
      .map((_, i) => {
        const cell = cells[i] ?? '';
        return i === headers.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - width(cell));
      })
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

/** "Label  value" lines with the labels aligned, for one entity. */
export function formatFields(fields: readonly (readonly [string, string])[]): string {
  const width = Math.max(...fields.map(([label]) => label.length));
  return fields.map(([label, value]) => `${label.padEnd(width)}  ${value}`.trimEnd()).join('\n') + '\n';
}

/** ISO 8601 to the second, which is what a person needs; null (never) as "-". */
export function formatTime(iso: string | null | undefined): string {
  if (iso === null || iso === undefined || iso === '') return '-';
  return iso.replace(/\.\d+Z$/, 'Z');
}

export function formatList(items: readonly string[] | undefined): string {
  return items && items.length > 0 ? items.join(',') : '-';
}

/** Pretty JSON plus a newline: one document per command, easy to pipe into jq. */
export function formatJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
