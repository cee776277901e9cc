/** Sections of an INI file as the aws CLI reads them; key names are lower-cased, values trimmed. */
export type IniSections = Map<string, Map<string, string>>;

/**
 * Parses the subset of INI that ~/.aws/credentials and ~/.aws/config use. Like botocore
 * (Python's RawConfigParser) there are no inline comments: '#' inside a value is part of
 * it, which matters for secrets. Indented lines continue a nested block (`s3 =` followed
 * by `  addressing_style = path`); they never hold credentials, so they are skipped.
 */
export function parseIni(text: string): IniSections {
  const sections: IniSections = new Map();
  let current: Map<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    if (/^[ \t]/.test(raw) && raw.trim() !== '') continue;
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[([^\]]*)\]$/.exec(line);
    if (section) {
      const name = (section[1] ?? '').trim();
      current = sections.get(name) ?? new Map<string, string>();
      sections.set(name, current);
      continue;
    }
    const eq = line.search(/[=:]/);
    if (eq <= 0 || !current) continue;
    current.set(line.slice(0, eq).trim().toLowerCase(), line.slice(eq + 1).trim());
  }
  return sections;
}
