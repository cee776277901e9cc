import type { PatternPiece } from './wildcard.js';
import type { PolicyVersion } from './policy-types.js';

/** Condition values of the request, keyed by lower-cased name; only present (non-empty) keys are in the map. */
export type ContextValues = ReadonlyMap<string, readonly string[]>;

const VARIABLE = /\$\{([^}]*)\}/g;
/** `name` or `name, 'default'` where a quote inside the default is written twice. */
const VARIABLE_BODY = /^\s*([^\s,']+)\s*(?:,\s*'((?:[^']|'')*)'\s*)?$/;
const ESCAPES: ReadonlySet<string> = new Set(['*', '?', '$']);

/**
 * Expands `${aws:username}`-style variables in a Resource or condition value.
 * Values and the `${*}`, `${?}`, `${$}` escapes become literal pieces; the
 * policy's own text stays wildcard-capable. Returns undefined when a variable
 * has no single value and no default: AWS then treats the element as matching
 * nothing. Version 2008-10-17 predates variables, so its text is taken as is.
 */
export function expandVariables(text: string, version: PolicyVersion, context: ContextValues): PatternPiece[] | undefined {
  if (version !== '2012-10-17' || !text.includes('${')) return [{ text, wild: true }];
  const pieces: PatternPiece[] = [];
  let last = 0;
  for (const match of text.matchAll(VARIABLE)) {
    const body = match[1] ?? '';
    const start = match.index;
    let literal: string | undefined;
    if (ESCAPES.has(body)) {
      literal = body;
    } else {
      const parts = VARIABLE_BODY.exec(body);
      // Not a variable at all (e.g. "${}"): leave it as ordinary policy text.
      if (!parts) continue;
      const values = context.get((parts[1] ?? '').toLowerCase());
      // Multi-valued keys cannot be variables, as in IAM.
      if (values?.length === 1) literal = values[0];
      else if (parts[2] !== undefined) literal = parts[2].replaceAll("''", "'");
      else return undefined;
    }
    if (start > last) pieces.push({ text: text.slice(last, start), wild: true });
    pieces.push({ text: literal ?? '', wild: false });
    last = start + match[0].length;
  }
  if (last < text.length) pieces.push({ text: text.slice(last), wild: true });
  return pieces;
}
