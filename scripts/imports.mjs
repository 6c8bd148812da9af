#!/usr/bin/env node
// The shape of the code, from its imports: files over 400 lines, functions over 80 lines, import
// circles and imports that run back up the layers (toolkit <- machines <- engine <- world <-
// live / views <- cli). Read with TypeScript's own parser, so type-only imports count too (a
// circle through types still ties two files together), and a dynamic import() is an arrow like any.
//
//   node scripts/imports.mjs            # the report
//   node scripts/imports.mjs --json     # the same as JSON
//   node scripts/imports.mjs src/engine # only files under these folders (imports still resolved)
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '..');
const FOLDERS = ['src', 'machines'];
const FILE_LINES = 400;
const FUNCTION_LINES = 80;

/** The layers, lowest first: a file may import its own layer and those below it. */
const LAYERS = [
  ['src/toolkit/'],
  ['machines/'],
  ['src/engine/'],
  ['src/world/'],
  ['src/live/', 'src/views/'],
  ['src/cli/'],
  ['src/index.ts'],
];
const layerOf = (file) => LAYERS.findIndex((prefixes) => prefixes.some((p) => file.startsWith(p)));

function sources(dir) {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return sources(path);
    return /\.(ts|mts|cts)$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

const files = FOLDERS.flatMap(sources).sort();
const known = new Set(files);

/** `./x.js` from `src/a/b.ts` -> `src/a/x.ts`, when it is one of ours. */
function resolveImport(from, specifier) {
  if (!specifier.startsWith('.')) return null;
  const base = relative(ROOT, resolve(ROOT, dirname(from), specifier));
  for (const candidate of [base.replace(/\.(m|c)?js$/, '.$1ts'), `${base}.ts`, `${base}/index.ts`])
    if (known.has(candidate)) return candidate;
  return null;
}

function nameOf(node) {
  if (node.name && ts.isIdentifier(node.name)) return node.name.text;
  if (node.name && ts.isPrivateIdentifier(node.name)) return node.name.text;
  if (node.name && ts.isStringLiteral(node.name)) return node.name.text;
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  const parent = node.parent;
  if (parent && ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  if (parent && ts.isPropertyAssignment(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  if (parent && ts.isPropertyDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  return '(anonymous)';
}

const isFunction = (node) =>
  ts.isFunctionDeclaration(node) ||
  ts.isMethodDeclaration(node) ||
  ts.isArrowFunction(node) ||
  ts.isFunctionExpression(node) ||
  ts.isConstructorDeclaration(node) ||
  ts.isGetAccessorDeclaration(node) ||
  ts.isSetAccessorDeclaration(node);

const edges = new Map(files.map((f) => [f, new Map()]));
const longFiles = [];
const longFunctions = [];
let functionCount = 0;

for (const file of files) {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  if (lines > FILE_LINES) longFiles.push({ file, lines });
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const lineOf = (pos) => source.getLineAndCharacterOfPosition(pos).line + 1;
  const addEdge = (specifier, typeOnly) => {
    const to = resolveImport(file, specifier);
    if (!to || to === file) return;
    const kinds = edges.get(file);
    // An arrow is a runtime one as soon as any import along it is.
    kinds.set(to, (kinds.get(to) ?? true) && typeOnly);
  };
  const visit = (node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const typeOnly =
        clause?.isTypeOnly === true ||
        (clause !== undefined &&
          clause.name === undefined &&
          clause.namedBindings !== undefined &&
          ts.isNamedImports(clause.namedBindings) &&
          clause.namedBindings.elements.length > 0 &&
          clause.namedBindings.elements.every((e) => e.isTypeOnly));
      addEdge(node.moduleSpecifier.text, typeOnly);
    } else if (
      ts.isExportDeclaration(node) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      addEdge(node.moduleSpecifier.text, node.isTypeOnly);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      addEdge(node.arguments[0].text, false);
    } else if (
      ts.isImportTypeNode(node) &&
      ts.isLiteralTypeNode(node.argument) &&
      ts.isStringLiteral(node.argument.literal)
    ) {
      addEdge(node.argument.literal.text, true);
    }
    if (isFunction(node) && node.body) {
      functionCount++;
      const start = lineOf(node.getStart(source));
      const length = lineOf(node.end) - start + 1;
      if (length > FUNCTION_LINES)
        longFunctions.push({ file, line: start, name: nameOf(node), lines: length });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}

/** Strongly connected components of more than one file (Tarjan): each is an import circle. */
function circles(runtimeOnly) {
  let index = 0;
  const stack = [];
  const state = new Map();
  const found = [];
  const connect = (v) => {
    const s = { index, low: index, onStack: true };
    index++;
    state.set(v, s);
    stack.push(v);
    for (const [w, typeOnly] of edges.get(v)) {
      if (runtimeOnly && typeOnly) continue;
      const t = state.get(w);
      if (t === undefined) {
        connect(w);
        s.low = Math.min(s.low, state.get(w).low);
      } else if (t.onStack) s.low = Math.min(s.low, t.index);
    }
    if (s.low === s.index) {
      const component = [];
      let w;
      do {
        w = stack.pop();
        state.get(w).onStack = false;
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const file of files) if (!state.has(file)) connect(file);
  return found.sort((a, b) => b.length - a.length || a[0].localeCompare(b[0]));
}

const upward = [];
for (const [from, targets] of edges)
  for (const [to, typeOnly] of targets) {
    const a = layerOf(from);
    const b = layerOf(to);
    if (a >= 0 && b > a) upward.push({ from, to, typeOnly });
  }

const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const inScope = (file) =>
  only.length === 0 || only.some((dir) => file.startsWith(dir.replace(/\/?$/, '/')) || file === dir);

const report = {
  files: files.filter(inScope).length,
  functions: functionCount,
  filesOver400: longFiles.filter((f) => inScope(f.file)).sort((a, b) => b.lines - a.lines),
  functionsOver80: longFunctions.filter((f) => inScope(f.file)).sort((a, b) => b.lines - a.lines),
  circles: circles(false).filter((c) => c.some(inScope)),
  runtimeCircles: circles(true).filter((c) => c.some(inScope)),
  upward: upward.filter((u) => inScope(u.from)),
};

if (process.argv.includes('--json')) {
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} else {
  const out = [];
  out.push(`${report.files} files in ${FOLDERS.join(', ')}; ${report.functions} functions with a body`);
  out.push('', `files over ${FILE_LINES} lines: ${report.filesOver400.length}`);
  for (const f of report.filesOver400) out.push(`  ${String(f.lines).padStart(5)}  ${f.file}`);
  out.push('', `functions over ${FUNCTION_LINES} lines: ${report.functionsOver80.length}`);
  for (const f of report.functionsOver80)
    out.push(`  ${String(f.lines).padStart(5)}  ${f.file}:${f.line} ${f.name}`);
  out.push('', `import circles (type-only imports included): ${report.circles.length}`);
  for (const c of report.circles) out.push(`  ${c.length} files: ${c.join(', ')}`);
  out.push('', `import circles at run time (type-only imports left out): ${report.runtimeCircles.length}`);
  for (const c of report.runtimeCircles) out.push(`  ${c.length} files: ${c.join(', ')}`);
  out.push(
    '',
    `imports back up the layers (toolkit <- machines <- engine <- world <- live/views <- cli): ${report.upward.length}`,
  );
  for (const u of report.upward) out.push(`  ${u.from} -> ${u.to}${u.typeOnly ? ' (types only)' : ''}`);
  process.stdout.write(`${out.join('\n')}\n`);
}
