#!/usr/bin/env node
// `npm run mutate [group...]`: Stryker on each group of stryker.config.mjs (all by default),
// one after the other, then the mutation score of every file from the JSON reports.
// HTML reports: reports/mutation/<group>.html (git-ignored).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { GROUPS } from '../stryker.config.mjs';

const asked = process.argv.slice(2);
const unknown = asked.filter((name) => !(name in GROUPS));
if (unknown.length > 0) {
  console.error(`unknown target(s) ${unknown.join(', ')}: choose from ${Object.keys(GROUPS).join(', ')}`);
  process.exit(2);
}
const groups = asked.length > 0 ? asked : Object.keys(GROUPS);
let failed = false;
for (const name of groups) {
  console.log(`\n== mutation target ${name} ==`);
  const run = spawnSync('npx', ['stryker', 'run', 'stryker.config.mjs'], { stdio: 'inherit', env: { ...process.env, LATCHKEY_MUTATE_GROUP: name } });
  if (run.status !== 0) failed = true;
}

const DETECTED = new Set(['Killed', 'Timeout']);
const UNDETECTED = new Set(['Survived', 'NoCoverage']);
console.log('\nfile                                      score  killed  survived  no-coverage');
for (const name of groups) {
  const path = `reports/mutation/${name}.json`;
  if (!existsSync(path)) continue;
  const report = JSON.parse(readFileSync(path, 'utf8'));
  for (const [file, { mutants }] of Object.entries(report.files)) {
    const detected = mutants.filter((m) => DETECTED.has(m.status)).length;
    const survived = mutants.filter((m) => m.status === 'Survived').length;
    const uncovered = mutants.filter((m) => m.status === 'NoCoverage').length;
    const valid = detected + mutants.filter((m) => UNDETECTED.has(m.status)).length;
    const score = valid === 0 ? 100 : (100 * detected) / valid;
    console.log(`${file.padEnd(40)} ${score.toFixed(1).padStart(6)}% ${String(detected).padStart(7)} ${String(survived).padStart(9)} ${String(uncovered).padStart(12)}`);
  }
}
process.exit(failed ? 1 : 0);
