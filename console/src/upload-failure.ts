import { formatSize } from './format.js';

/** What an S3 upload answered when it failed: status, S3's code and message, the request id. */
export class UploadFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId: string,
  ) {
    super(message);
  }
}

/** The reason in words, then S3's code and the request id to quote to whoever runs the server. */
export function describeFailure(failure: UploadFailure, maxSize?: number): string {
  const words = reason(failure, maxSize);
  const ids = [failure.code || (failure.status ? `HTTP ${failure.status}` : ''), failure.requestId ? `request ${failure.requestId}` : ''].filter((s) => s !== '');
  return ids.length === 0 ? words : `${words} (${ids.join(', ')})`;
}

function reason(failure: UploadFailure, maxSize: number | undefined): string {
  const message = failure.message;
  switch (failure.code) {
    case 'AccessDenied':
      if (/expired/i.test(message)) return 'The link has expired. Ask for a new one.';
      if (message === 'Link revoked') return 'The link has been revoked by the person who shared it.';
      if (message === 'Link use limit reached') return 'The link has been used up.';
      if (message === 'Link not valid from this address') return 'The link does not work from your network.';
      return 'The upload was refused: the link does not allow it (any more).';
    case 'EntityTooLarge':
      return maxSize === undefined ? 'The file is too large for this link.' : `The file is too large: this link accepts at most ${formatSize(maxSize)}.`;
    case 'EntityTooSmall':
      return 'The file is too small for this link.';
    case 'SignatureDoesNotMatch':
      return 'The link is damaged (its signature does not match). Copy the whole link again, or ask for a new one.';
    case 'NoSuchBucket':
      return 'The place this link uploads to does not exist (any more).';
    case 'NetworkError':
      return message;
    default:
      return message || `The server answered ${failure.status}.`;
  }
}
