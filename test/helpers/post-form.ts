import { createHmac, randomBytes } from 'node:crypto';
import { request } from 'node:http';

/**
 * Browser-style form uploads (S3 POST Object), built by hand so a test
 * controls field order, repeats and the file's name, and signed by hand (not
 * with src/) so the server's verifier is checked against an independent
 * implementation of AWS's documented algorithm.
 */
export interface FormFile {
  readonly content: Buffer | string;
  readonly filename?: string;
  readonly contentType?: string;
  /** Field name; default "file". */
  readonly field?: string;
}

export interface PostAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
}

/** multipart/form-data with the fields in order, then the file (when given). */
export function multipartBody(fields: readonly (readonly [string, string])[], file?: FormFile): { body: Buffer; contentType: string } {
  const boundary = `----latchkey${randomBytes(8).toString('hex')}`;
  const parts: Buffer[] = [];
  for (const [name, value] of fields) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  if (file) {
    const filename = file.filename === undefined ? '' : `; filename="${file.filename}"`;
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${file.field ?? 'file'}"${filename}\r\nContent-Type: ${file.contentType ?? 'application/octet-stream'}\r\n\r\n`));
    parts.push(typeof file.content === 'string' ? Buffer.from(file.content) : file.content);
    parts.push(Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** Sends a raw POST (node:http, so any Host or content type can be sent) and reads the answer. */
export function rawPost(url: string, body: Buffer | string, headers: Record<string, string>): Promise<PostAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-length': String(Buffer.byteLength(body)), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    // The server may answer and close before taking the whole body; the answer is what counts.
    req.on('error', reject);
    req.end(body);
  });
}

export async function postForm(url: string, fields: readonly (readonly [string, string])[], file?: FormFile, headers: Record<string, string> = {}): Promise<PostAnswer> {
  const { body, contentType } = multipartBody(fields, file);
  return rawPost(url, body, { 'content-type': contentType, ...headers });
}

export interface Signer {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

export function amzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** A policy document as base64, as a form carries it. */
export function encodePolicy(expiration: Date, conditions: readonly unknown[]): string {
  return Buffer.from(JSON.stringify({ expiration: expiration.toISOString(), conditions })).toString('base64');
}

/** The SigV4 fields for a policy: algorithm, credential, date (all must be in the policy's conditions) and the signature. */
export function v4PolicyFields(signer: Signer, policy: string, options: { now?: number; region?: string } = {}): Array<[string, string]> {
  const date = amzDate(options.now ?? Date.now());
  const region = options.region ?? 'us-east-1';
  const key = hmac(hmac(hmac(hmac(`AWS4${signer.secretAccessKey}`, date.slice(0, 8)), region), 's3'), 'aws4_request');
  return [
    ['x-amz-algorithm', 'AWS4-HMAC-SHA256'],
    ['x-amz-credential', `${signer.accessKeyId}/${date.slice(0, 8)}/${region}/s3/aws4_request`],
    ['x-amz-date', date],
    ...(signer.sessionToken === undefined ? [] : ([['x-amz-security-token', signer.sessionToken]] as Array<[string, string]>)),
    ['policy', policy],
    ['x-amz-signature', hmac(key, policy).toString('hex')],
  ];
}

/** The conditions that cover the SigV4 auth fields, to add to a policy signed with v4PolicyFields. */
export function v4AuthConditions(signer: Signer, options: { now?: number; region?: string } = {}): Array<Record<string, string>> {
  const date = amzDate(options.now ?? Date.now());
  const region = options.region ?? 'us-east-1';
  return [
    { 'x-amz-algorithm': 'AWS4-HMAC-SHA256' },
    { 'x-amz-credential': `${signer.accessKeyId}/${date.slice(0, 8)}/${region}/s3/aws4_request` },
    { 'x-amz-date': date },
    ...(signer.sessionToken === undefined ? [] : [{ 'x-amz-security-token': signer.sessionToken }]),
  ];
}

/** Legacy SigV2 policy fields: AWSAccessKeyId, policy, signature = base64 HMAC-SHA1 of the base64 policy. */
export function v2PolicyFields(signer: Signer, policy: string): Array<[string, string]> {
  return [
    ['AWSAccessKeyId', signer.accessKeyId],
    ['policy', policy],
    ['signature', createHmac('sha1', signer.secretAccessKey).update(policy, 'utf8').digest('base64')],
  ];
}

export function xmlField(xml: string, name: string): string | undefined {
  const m = new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml);
  return m?.[1]?.replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}
