import { test } from 'node:test';
import assert from 'node:assert/strict';
import { s3ErrorAnswer, xmlElementText } from '../../src/xml-text.js';

test("an <Error> document is S3's error answer: its Code and Message, entities decoded", () => {
  const xml = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InvalidPart</Code><Message>One or more parts could not be found &amp; so on</Message><RequestId>1</RequestId></Error>';
  assert.deepEqual(s3ErrorAnswer(xml), { code: 'InvalidPart', message: 'One or more parts could not be found & so on' });
  assert.deepEqual(s3ErrorAnswer('<Error><Code>InternalError</Code></Error>'), { code: 'InternalError', message: '' });
});

test('anything else is not an error answer, even when an <Error> or a <Code> is inside it', () => {
  const completed = '<CompleteMultipartUploadResult><Location>http://h/b/k</Location><ETag>"abc-2"</ETag></CompleteMultipartUploadResult>';
  assert.equal(s3ErrorAnswer(completed), undefined);
  assert.equal(xmlElementText(completed, 'ETag'), '"abc-2"');
  assert.equal(s3ErrorAnswer('<DeleteResult><Error><Code>AccessDenied</Code></Error></DeleteResult>'), undefined);
  assert.equal(s3ErrorAnswer('<Error><Message>no code</Message></Error>'), undefined);
  for (const text of ['', 'not xml <', '{"error":{"code":"X"}}']) assert.equal(s3ErrorAnswer(text), undefined, text);
});
