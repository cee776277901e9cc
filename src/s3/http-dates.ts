/** "Wed, 21 Oct 2015 07:28:00 GMT", as S3 sends Last-Modified. */
export function httpDate(date: Date): string {
  return date.toUTCString();
}

/** "2015-10-21T07:28:00.000Z", as S3 prints times in XML. */
export function xmlDate(date: Date): string {
  return date.toISOString();
}
