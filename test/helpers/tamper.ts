/**
 * Every one-character change of a signature to another character of its own
 * alphabet, so the change reaches the signature comparison (a character outside
 * the alphabet would be refused by the hex or base64 parser before it).
 */
export const HEX = '0123456789abcdef';
export const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * For base64, the step of 4 keeps a character's two low bits: the last character
 * of a 20-byte (SHA-1) value carries two padding bits that must stay zero, so the
 * changed signature is canonical base64 of other bytes, not an alias of the same ones.
 */
export function sameAlphabetChanges(signature: string, alphabet: string): Array<{ at: number; signature: string }> {
  const step = alphabet === BASE64 ? 4 : 1;
  const out: Array<{ at: number; signature: string }> = [];
  for (let at = 0; at < signature.length; at++) {
    const k = alphabet.indexOf(signature[at] ?? '');
    if (k === -1) continue; // base64 padding
    const next = alphabet[(k + step) % alphabet.length] ?? '';
    out.push({ at, signature: signature.slice(0, at) + next + signature.slice(at + 1) });
  }
  return out;
}
