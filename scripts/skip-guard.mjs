// A node:test reporter (next to spec in `npm test`) that makes a skipped test a
// failure under CI (CI=true): a test skipped because a tool or Chromium is missing
// must not pass unnoticed there. Elsewhere it only lists the skips. Plain JS: the
// test runner loads reporters before tsx is registered.

/** @param {AsyncIterable<{ type: string; data: { name: string; file?: string; skip?: string | boolean } }>} source */
export default async function* skipGuard(source) {
  const skipped = [];
  for await (const event of source) {
    if ((event.type === 'test:pass' || event.type === 'test:fail') && event.data.skip !== undefined && event.data.skip !== false) {
      const reason = typeof event.data.skip === 'string' ? `: ${event.data.skip}` : '';
      skipped.push(`${event.data.file ?? '?'} › ${event.data.name}${reason}`);
    }
  }
  if (skipped.length === 0) return;
  const ci = process.env.CI === 'true';
  yield `\n${skipped.length} test(s) skipped${ci ? ', which fails under CI=true' : ''}:\n${skipped.map((line) => `  - ${line}\n`).join('')}`;
  if (ci) process.exitCode = 1;
}
