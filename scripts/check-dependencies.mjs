// The import rules of src/ (docs/architecture.md, "Dependency rules"), run by `npm run lint`:
// no cycle between files, no cycle between top-level folders, and the pure libraries
// (src/sigv4, src/iam) import only themselves and node: built-ins. Type-only imports count:
// a cycle through types is still a cycle a reader has to untangle.
// `node scripts/check-dependencies.mjs --graph` prints the folder-level arrows as well.
import { cruise } from 'dependency-cruiser';

const PURE = ['sigv4', 'iam'];

const ruleSet = {
  forbidden: [
    { name: 'no-file-cycle', severity: 'error', from: {}, to: { circular: true } },
    ...PURE.map((lib) => ({
      name: `${lib}-is-pure`,
      severity: 'error',
      comment: `src/${lib} imports only itself and node: built-ins`,
      from: { path: `^src/${lib}/` },
      to: { pathNot: [`^src/${lib}/`], dependencyTypesNot: ['core'] },
    })),
  ],
};

const result = await cruise(['src'], {
  ruleSet,
  validate: true,
  tsPreCompilationDeps: true,
  moduleSystems: ['es6'],
  doNotFollow: { path: 'node_modules' },
}, undefined, { tsConfig: { fileName: 'tsconfig.json' } });
const { modules, summary } = result.output;

// The folder of a file: its top-level folder under src/, or the file itself at the top.
const folderOf = (path) => {
  const m = /^src\/([^/]+)(\/)?/.exec(path);
  if (!m) return undefined;
  return m[2] ? m[1] : m[1].replace(/\.[cm]?ts$/, '');
};

const arrows = new Map();
for (const mod of modules) {
  const from = folderOf(mod.source);
  if (!from) continue;
  for (const dep of mod.dependencies) {
    const to = folderOf(dep.resolved);
    if (!to || to === from) continue;
    if (!arrows.has(from)) arrows.set(from, new Set());
    arrows.get(from).add(to);
  }
}

// Tarjan's strongly connected components over the folder graph.
function components(graph) {
  const index = new Map(), low = new Map(), stack = [], onStack = new Set(), out = [];
  let next = 0;
  const visit = (v) => {
    index.set(v, next); low.set(v, next); next++;
    stack.push(v); onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v), low.get(w))); }
      else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) === index.get(v)) {
      const scc = [];
      let w;
      do { w = stack.pop(); onStack.delete(w); scc.push(w); } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}
const folderCycles = components(arrows);

const violations = summary.violations.filter((v) => v.rule.severity === 'error');
const fileCycles = violations.filter((v) => v.rule.name === 'no-file-cycle');
const impure = violations.filter((v) => v.rule.name !== 'no-file-cycle');

if (process.argv.includes('--graph')) {
  for (const [from, tos] of [...arrows].sort()) console.log(`${from} -> ${[...tos].sort().join(', ')}`);
  console.log(`folder arrows: ${[...arrows.values()].reduce((n, s) => n + s.size, 0)}`);
  console.log(`file-level cyclic imports: ${fileCycles.length}`);
  console.log(`folder-level cycles: ${folderCycles.length} ${folderCycles.map((c) => `[${c.join(' ')}]`).join(' ')}`);
}

for (const v of impure) console.error(`${v.rule.name}: ${v.from} -> ${v.to}`);
for (const v of fileCycles) console.error(`import cycle: ${v.from} -> ${v.to} (${(v.cycle ?? []).map((c) => c.name ?? c).join(' -> ')})`);
for (const c of folderCycles) console.error(`folder cycle: ${c.join(' <-> ')}`);
if (violations.length > 0 || folderCycles.length > 0) process.exit(1);
