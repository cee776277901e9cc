import { S3Error } from '../errors.js';
import { toXml } from './xml.js';

/** One CORSRule of a bucket's CORS configuration, as S3 defines it. */
export interface CorsRule {
  readonly id?: string;
  readonly allowedOrigins: readonly string[];
  readonly allowedMethods: readonly CorsMethod[];
  readonly allowedHeaders: readonly string[];
  readonly exposeHeaders: readonly string[];
  readonly maxAgeSeconds?: number;
}

export const CORS_METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'HEAD'] as const;
export type CorsMethod = (typeof CORS_METHODS)[number];

/** AWS's limits: 64 KB of configuration, at most 100 rules, IDs up to 255 characters. */
export const MAX_CORS_BODY = 64 * 1024;
const MAX_RULES = 100;
const MAX_ID_LENGTH = 255;
const RULE_ELEMENTS = new Set(['ID', 'AllowedOrigin', 'AllowedMethod', 'AllowedHeader', 'ExposeHeader', 'MaxAgeSeconds']);

function isMethod(value: string): value is CorsMethod {
  return (CORS_METHODS as readonly string[]).includes(value);
}

function malformed(): S3Error {
  return new S3Error('MalformedXML');
}

/** fast-xml-parser gives '#text' for the whitespace between elements; anything else there is a schema violation. */
function elementsOf(node: unknown): Record<string, unknown> {
  if (node === '' || node === undefined) return {};
  if (typeof node !== 'object' || node === null || Array.isArray(node)) throw malformed();
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(node as Record<string, unknown>)) {
    if (name === '#text') {
      if (typeof value !== 'string' || value.trim() !== '') throw malformed();
      continue;
    }
    out[name] = value;
  }
  return out;
}

function texts(value: unknown): string[] {
  const list = value === undefined ? [] : Array.isArray(value) ? (value as unknown[]) : [value];
  return list.map((v) => {
    if (typeof v !== 'string') throw malformed();
    return v.trim();
  });
}

function single(value: unknown): string | undefined {
  const list = texts(value);
  if (list.length > 1) throw malformed();
  return list[0];
}

function atMostOneWildcard(element: string, value: string): void {
  if (value.indexOf('*') !== value.lastIndexOf('*')) {
    throw new S3Error('InvalidRequest', `${element} "${value}" can not have more than one wildcard.`);
  }
}

/** Validates a parsed PutBucketCors body the way S3 does; the rules in their given order. */
export function corsRulesFromXml(doc: Record<string, unknown>): CorsRule[] {
  const root = elementsOf(doc);
  const names = Object.keys(root);
  if (names.length !== 1 || names[0] !== 'CORSConfiguration') throw malformed();
  const config = elementsOf(root['CORSConfiguration']);
  if (Object.keys(config).some((name) => name !== 'CORSRule')) throw malformed();
  const rawRules = config['CORSRule'] === undefined ? [] : Array.isArray(config['CORSRule']) ? (config['CORSRule'] as unknown[]) : [config['CORSRule']];
  if (rawRules.length === 0) throw malformed();
  if (rawRules.length > MAX_RULES) throw new S3Error('InvalidRequest', `The number of CORS rules should not exceed allowed limit of ${MAX_RULES} rules.`);
  return rawRules.map(ruleFromXml);
}

function ruleFromXml(node: unknown): CorsRule {
  const el = elementsOf(node);
  if (Object.keys(el).some((name) => !RULE_ELEMENTS.has(name))) throw malformed();
  const allowedOrigins = texts(el['AllowedOrigin']);
  const methods = texts(el['AllowedMethod']);
  if (allowedOrigins.length === 0 || methods.length === 0) throw malformed();
  const allowedMethods = methods.map((m) => {
    if (!isMethod(m)) throw new S3Error('InvalidRequest', `Found unsupported HTTP method in CORS config. Unsupported method is ${m}`);
    return m;
  });
  for (const origin of allowedOrigins) atMostOneWildcard('AllowedOrigin', origin);
  const allowedHeaders = texts(el['AllowedHeader']);
  for (const header of allowedHeaders) atMostOneWildcard('AllowedHeader', header);
  const id = single(el['ID']);
  if (id !== undefined && id.length > MAX_ID_LENGTH) throw new S3Error('InvalidArgument', `ID length should not exceed allowed limit of ${MAX_ID_LENGTH}`);
  const maxAge = single(el['MaxAgeSeconds']);
  if (maxAge !== undefined && !/^\d{1,10}$/.test(maxAge)) throw malformed();
  return {
    ...(id !== undefined ? { id } : {}),
    allowedOrigins,
    allowedMethods,
    allowedHeaders,
    exposeHeaders: texts(el['ExposeHeader']),
    ...(maxAge !== undefined ? { maxAgeSeconds: Number(maxAge) } : {}),
  };
}

/** The GetBucketCors body. */
export function corsRulesToXml(rules: readonly CorsRule[]): string {
  return toXml('CORSConfiguration', {
    CORSRule: rules.map((r) => ({
      ID: r.id,
      AllowedHeader: r.allowedHeaders,
      AllowedMethod: r.allowedMethods,
      AllowedOrigin: r.allowedOrigins,
      ExposeHeader: r.exposeHeaders,
      MaxAgeSeconds: r.maxAgeSeconds,
    })),
  });
}

/** Stored form: JSON of the validated rules, so requests never re-parse XML. */
export function serializeCorsRules(rules: readonly CorsRule[]): string {
  return JSON.stringify({ rules });
}

export function deserializeCorsRules(text: string): CorsRule[] {
  const parsed = JSON.parse(text) as { rules?: unknown };
  if (!Array.isArray(parsed.rules)) throw new Error('stored CORS configuration has no rules');
  return parsed.rules as CorsRule[];
}
