/** The last date formatted: GETs of one object ask for the same Last-Modified again and again. */
let lastTime = NaN;
let lastText = '';

/** "Wed, 21 Oct 2015 07:28:00 GMT", as S3 sends Last-Modified. */
export function httpDate(date: Date): string {
  const time = date.getTime();
  if (time !== lastTime) {
    lastText = date.toUTCString();
    lastTime = time;
  }
  return lastText;
}

/** "2015-10-21T07:28:00.000Z", as S3 prints times in XML. */
export function xmlDate(date: Date): string {
  return date.toISOString();
}
