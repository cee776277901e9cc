/**
 * IAM's two wildcards: `*` matches any run of characters (including none and
 * including '/' and ':'), `?` exactly one character. A pattern is a list of
 * pieces so text that must stay literal (policy variable values, the `${*}`
 * escapes) never turns into a wildcard.
 */
export type PatternPiece = { readonly text: string; readonly wild: boolean };

const STAR = -1;
const ONE = -2;

type CompiledPattern = readonly number[];

function compile(pieces: readonly PatternPiece[], ignoreCase: boolean): CompiledPattern {
  const out: number[] = [];
  for (const piece of pieces) {
    const text = ignoreCase ? piece.text.toLowerCase() : piece.text;
    for (const ch of text) {
      const code = ch.codePointAt(0) ?? 0;
      if (piece.wild && ch === '*') {
        if (out[out.length - 1] !== STAR) out.push(STAR);
      } else if (piece.wild && ch === '?') {
        out.push(ONE);
      } else {
        out.push(code);
      }
    }
  }
  return out;
}

function codePoints(text: string, ignoreCase: boolean): number[] {
  const source = ignoreCase ? text.toLowerCase() : text;
  const out: number[] = [];
  for (const ch of source) out.push(ch.codePointAt(0) ?? 0);
  return out;
}

/**
 * Greedy glob match with one backtrack point, linear in practice and never
 * exponential: on a mismatch we only retry from the most recent `*`.
 */
function matchCompiled(pattern: CompiledPattern, input: readonly number[]): boolean {
  let p = 0;
  let i = 0;
  let starP = -1;
  let starI = 0;
  while (i < input.length) {
    const token = pattern[p];
    if (token === STAR) {
      starP = p++;
      starI = i;
    } else if (token !== undefined && (token === ONE || token === input[i])) {
      p++;
      i++;
    } else if (starP >= 0) {
      p = starP + 1;
      i = ++starI;
    } else {
      return false;
    }
  }
  while (pattern[p] === STAR) p++;
  return p === pattern.length;
}

export function matchPieces(pieces: readonly PatternPiece[], input: string, ignoreCase = false): boolean {
  return matchCompiled(compile(pieces, ignoreCase), codePoints(input, ignoreCase));
}

/** Matches a pattern written entirely in policy text (no variables). */
export function matchWildcard(pattern: string, input: string, ignoreCase = false): boolean {
  return matchPieces([{ text: pattern, wild: true }], input, ignoreCase);
}

export function hasWildcard(text: string): boolean {
  return text.includes('*') || text.includes('?');
}
