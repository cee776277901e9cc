import { csrfHeaders } from './api.js';
import { escapeXmlText, failureOf, objectPath, s3, xmlOf } from './s3.js';

/** Files larger than this go up in parts, each its own request, so a large upload never rests on one connection. */
export const MULTIPART_THRESHOLD = 16 * 1024 * 1024;
export const PART_SIZE = 8 * 1024 * 1024;

export type Progress = (loaded: number, total: number) => void;

/** One PUT with upload progress (fetch cannot report it; XMLHttpRequest can). */
function xhrPut(url: string, body: Blob, headers: Record<string, string>, what: string, onProgress: (loaded: number) => void): Promise<XMLHttpRequest> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', url);
    for (const [name, value] of Object.entries({ ...csrfHeaders(), ...headers })) xhr.setRequestHeader(name, value);
    xhr.upload.addEventListener('progress', (event) => onProgress(event.loaded));
    xhr.addEventListener('load', () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve(xhr);
      else reject(failureOf(xhr.status, xhr.responseText, what));
    });
    xhr.addEventListener('error', () => reject(new Error(`The upload of ${what} was interrupted (network error).`)));
    xhr.send(body);
  });
}

export async function uploadFile(bucket: string, key: string, file: File, onProgress: Progress): Promise<void> {
  const what = `upload to ${bucket}/${key}`;
  const contentType = file.type || 'application/octet-stream';
  if (file.size <= MULTIPART_THRESHOLD) {
    await xhrPut(objectPath(bucket, key), file, { 'content-type': contentType }, what, (loaded) => onProgress(loaded, file.size));
    onProgress(file.size, file.size);
    return;
  }
  const path = objectPath(bucket, key);
  const created = xmlOf(await (await s3('POST', `${path}?uploads`, what, { headers: { 'content-type': contentType } })).text());
  const uploadId = created.getElementsByTagName('UploadId')[0]?.textContent ?? '';
  const etags: string[] = [];
  try {
    let done = 0;
    for (let offset = 0, part = 1; offset < file.size; offset += PART_SIZE, part += 1) {
      const chunk = file.slice(offset, Math.min(file.size, offset + PART_SIZE));
      const query = new URLSearchParams({ partNumber: String(part), uploadId });
      const xhr = await xhrPut(`${path}?${query.toString()}`, chunk, {}, what, (loaded) => onProgress(done + loaded, file.size));
      etags.push(xhr.getResponseHeader('ETag') ?? '');
      done += chunk.size;
      onProgress(done, file.size);
    }
    const body = `<CompleteMultipartUpload>${etags.map((etag, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${escapeXmlText(etag)}</ETag></Part>`).join('')}</CompleteMultipartUpload>`;
    const answer = await s3('POST', `${path}?${new URLSearchParams({ uploadId }).toString()}`, what, { body, headers: { 'content-type': 'application/xml' } });
    // S3 may answer 200 and still fail: the error is then in the body.
    const text = await answer.text();
    if (xmlOf(text).getElementsByTagName('Error').length > 0) throw failureOf(500, text, what);
  } catch (error) {
    await s3('DELETE', `${path}?${new URLSearchParams({ uploadId }).toString()}`, `abort ${what}`).catch(() => undefined);
    throw error;
  }
}
