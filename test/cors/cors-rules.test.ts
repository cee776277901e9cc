import { test } from 'node:test';
import assert from 'node:assert/strict';
import { S3Error } from '../../src/errors.js';
import { corsRulesFromXml, corsRulesToXml, deserializeCorsRules, serializeCorsRules, type CorsRule } from '../../src/s3/cors-config.js';
import { corsHeaders, matchActual, matchPreflight, requestedHeaders, wildcardMatch } from '../../src/s3/cors.js';
import { parseXml } from '../../src/s3/xml.js';

function parse(xml: string): CorsRule[] {
  return corsRulesFromXml(parseXml(xml));
}

function config(...rules: string[]): string {
  return `<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">\n${rules.map((r) => `  <CORSRule>${r}</CORSRule>\n`).join('')}</CORSConfiguration>`;
}

function rejects(xml: string, code: string, message?: RegExp): void {
  assert.throws(
    () => parse(xml),
    (e: unknown) => e instanceof S3Error && e.code === code && (message === undefined || message.test(e.message)),
  );
}

test('a full rule parses with every element, in order, and round-trips through XML and storage', () => {
  const rules = parse(
    config(
      '<ID>uploads</ID><AllowedOrigin>https://*.example.com</AllowedOrigin><AllowedOrigin>http://127.0.0.1:8080</AllowedOrigin>' +
        '<AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod><AllowedHeader>x-amz-*</AllowedHeader><AllowedHeader>Content-Type</AllowedHeader>' +
        '<ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>3000</MaxAgeSeconds>',
      '<AllowedOrigin>*</AllowedOrigin><AllowedMethod>HEAD</AllowedMethod>',
    ),
  );
  assert.deepEqual(rules, [
    {
      id: 'uploads',
      allowedOrigins: ['https://*.example.com', 'http://127.0.0.1:8080'],
      allowedMethods: ['PUT', 'GET'],
      allowedHeaders: ['x-amz-*', 'Content-Type'],
      exposeHeaders: ['ETag'],
      maxAgeSeconds: 3000,
    },
    { allowedOrigins: ['*'], allowedMethods: ['HEAD'], allowedHeaders: [], exposeHeaders: [] },
  ]);
  assert.deepEqual(parse(corsRulesToXml(rules)), rules);
  assert.deepEqual(deserializeCorsRules(serializeCorsRules(rules)), rules);
  assert.match(corsRulesToXml(rules), /<CORSRule><ID>uploads<\/ID><AllowedHeader>x-amz-\*<\/AllowedHeader>/);
});

test('schema violations are MalformedXML', () => {
  rejects('<CORSConfiguration></CORSConfiguration>', 'MalformedXML');
  rejects('<Other><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></Other>', 'MalformedXML');
  rejects(config('<AllowedMethod>GET</AllowedMethod>'), 'MalformedXML');
  rejects(config('<AllowedOrigin>*</AllowedOrigin>'), 'MalformedXML');
  rejects(config('<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><Colour>red</Colour>'), 'MalformedXML');
  rejects(config('<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>soon</MaxAgeSeconds>'), 'MalformedXML');
  rejects(config('<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>-1</MaxAgeSeconds>'), 'MalformedXML');
  rejects(config('<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><ID>a</ID><ID>b</ID>'), 'MalformedXML');
  rejects('<CORSConfiguration>stray text<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>', 'MalformedXML');
  rejects(config('<AllowedOrigin><x>1</x></AllowedOrigin><AllowedMethod>GET</AllowedMethod>'), 'MalformedXML');
});

test('methods S3 does not support, and patterns with two wildcards, are InvalidRequest with AWS wording', () => {
  rejects(config('<AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod>'), 'InvalidRequest', /^Found unsupported HTTP method in CORS config\. Unsupported method is PATCH$/);
  rejects(config('<AllowedOrigin>*</AllowedOrigin><AllowedMethod>get</AllowedMethod>'), 'InvalidRequest', /Unsupported method is get/);
  rejects(config('<AllowedOrigin>*</AllowedOrigin><AllowedMethod>OPTIONS</AllowedMethod>'), 'InvalidRequest');
  rejects(config('<AllowedOrigin>https://*.*.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod>'), 'InvalidRequest', /^AllowedOrigin "https:\/\/\*\.\*\.com" can not have more than one wildcard\.$/);
  rejects(config('<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedHeader>**</AllowedHeader>'), 'InvalidRequest', /^AllowedHeader "\*\*"/);
  const many = Array.from({ length: 101 }, () => '<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>');
  rejects(config(...many), 'InvalidRequest', /100 rules/);
  assert.equal(parse(config(...many.slice(1))).length, 100);
});

test('single-wildcard matching: anywhere in the pattern, never overlapping prefix and suffix', () => {
  assert.equal(wildcardMatch('*', ''), true);
  assert.equal(wildcardMatch('https://*.example.com', 'https://app.example.com'), true);
  assert.equal(wildcardMatch('https://*.example.com', 'https://a.b.example.com'), true);
  assert.equal(wildcardMatch('https://*.example.com', 'https://example.com'), false);
  assert.equal(wildcardMatch('https://*.example.com', 'http://app.example.com'), false);
  assert.equal(wildcardMatch('https://*.example.com', 'https://app.example.com.evil.net'), false);
  assert.equal(wildcardMatch('ab*ba', 'aba'), false);
  assert.equal(wildcardMatch('http://127.0.0.1:8080', 'http://127.0.0.1:8081'), false);
  assert.equal(wildcardMatch('x-amz-*', 'x-amz-date'), true);
});

const RULES: CorsRule[] = [
  { allowedOrigins: ['https://*.example.com'], allowedMethods: ['PUT'], allowedHeaders: ['content-type', 'x-amz-*'], exposeHeaders: ['ETag'], maxAgeSeconds: 60 },
  { allowedOrigins: ['*'], allowedMethods: ['GET', 'HEAD'], allowedHeaders: ['*'], exposeHeaders: [] },
];

test('preflight matching: the first rule allowing origin, method and every requested header', () => {
  assert.equal(matchPreflight(RULES, 'https://app.example.com', 'PUT', ['content-type', 'x-amz-meta-a']), RULES[0]);
  assert.equal(matchPreflight(RULES, 'https://app.example.com', 'PUT', ['content-type', 'authorization']), undefined);
  assert.equal(matchPreflight(RULES, 'https://app.example.org', 'PUT', []), undefined);
  assert.equal(matchPreflight(RULES, 'https://app.example.com', 'DELETE', []), undefined);
  assert.equal(matchPreflight(RULES, 'https://app.example.com', 'GET', ['range', 'authorization']), RULES[1]);
  assert.equal(matchPreflight(RULES, 'https://app.example.com', 'get', []), undefined, 'methods are case-sensitive');
  assert.deepEqual(requestedHeaders(' Content-Type ,X-Amz-Date,,'), ['content-type', 'x-amz-date']);
  // AllowedHeader patterns are compared case-insensitively.
  const upper: CorsRule[] = [{ allowedOrigins: ['*'], allowedMethods: ['PUT'], allowedHeaders: ['Content-Type'], exposeHeaders: [] }];
  assert.equal(matchPreflight(upper, 'http://x', 'PUT', requestedHeaders('content-type')), upper[0]);
});

test('actual-request matching ignores headers; the response headers differ for * and named origins', () => {
  assert.equal(matchActual(RULES, 'https://app.example.com', 'PUT'), RULES[0]);
  assert.equal(matchActual(RULES, 'https://other.net', 'PUT'), undefined);
  assert.equal(matchActual(RULES, 'https://other.net', 'GET'), RULES[1]);
  assert.deepEqual(corsHeaders(RULES[0]!, 'https://app.example.com'), {
    vary: 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method',
    'access-control-allow-origin': 'https://app.example.com',
    'access-control-allow-credentials': 'true',
    'access-control-allow-methods': 'PUT',
    'access-control-expose-headers': 'ETag',
    'access-control-max-age': '60',
  });
  const open = corsHeaders(RULES[1]!, 'https://other.net');
  assert.equal(open['access-control-allow-origin'], '*');
  assert.equal(open['access-control-allow-credentials'], undefined);
  assert.equal(open['access-control-allow-methods'], 'GET, HEAD');
  assert.equal(open['access-control-expose-headers'], undefined);
});
