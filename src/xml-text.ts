import { XMLParser } from 'fast-xml-parser';

/**
 * XML text both ways, for the server and for the clients it ships (presign,
 * CLI): the one escaper, and a reader of S3's small answers that uses the XML
 * library rather than patterns over the text.
 */

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\r': '&#13;' };

/** A CR is written as a reference: a reader turns a literal one into a line feed (XML 1.0 §2.11). */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"'\r]/g, (c) => ESCAPES[c] ?? c);
}

const reader = new XMLParser({ ignoreAttributes: true, ignoreDeclaration: true, parseTagValue: false, trimValues: false, removeNSPrefix: true });

/** The text of the first element called `name` (depth first), entities decoded; undefined when there is none or `xml` is not XML. */
export function xmlElementText(xml: string, name: string): string | undefined {
  let document: unknown;
  try {
    document = reader.parse(xml);
  } catch {
    return undefined;
  }
  return find(document, name);
}

/** S3's error answer (an <Error> document, which may even come with a 200): its Code and Message; undefined for any other document. */
export function s3ErrorAnswer(xml: string): { readonly code: string; readonly message: string } | undefined {
  let document: unknown;
  try {
    document = reader.parse(xml);
  } catch {
    return undefined;
  }
  const root = (document as Record<string, unknown> | null)?.['Error'];
  if (root === null || typeof root !== 'object' || Array.isArray(root)) return undefined;
  const { Code: code, Message: message } = root as Record<string, unknown>;
  return typeof code === 'string' ? { code, message: typeof message === 'string' ? message : '' } : undefined;
}

function find(node: unknown, name: string): string | undefined {
  if (node === null || typeof node !== 'object') return undefined;
  if (Array.isArray(node)) {
    for (const item of node) {
      const found = find(item, name);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  for (const [element, value] of Object.entries(node as Record<string, unknown>)) {
    if (element === name) {
      const first: unknown = Array.isArray(value) ? value[0] : value;
      if (typeof first === 'string') return first;
    }
    const found = find(value, name);
    if (found !== undefined) return found;
  }
  return undefined;
}
