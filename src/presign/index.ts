export {
  presignUrl,
  PresignInputError,
  MAX_USES_PARAM,
  SOURCE_IP_PARAM,
  type PresignUrlInput,
  type PresignedUrl,
  type PresignMethod,
} from './url.js';
export { presignPost, signPostPolicy, type PresignPostInput, type PresignedPost, type PostCondition } from './post.js';
export {
  startPresignedMultipartUpload,
  presignParts,
  completePresignedUpload,
  completeRequestXml,
  MultipartRequestError,
  type PresignedMultipartInput,
  type PresignedMultipartUpload,
  type PresignedPart,
  type CompletedUpload,
} from './multipart.js';
export { uploadPageUrl, UPLOAD_PAGE_PATH, type UploadPageForm } from './upload-page.js';
