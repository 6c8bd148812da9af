import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  Lexer,
  LineCounter,
  type Node,
  parseDocument,
  type YAMLError,
} from 'yaml';
import { InputError } from './errors.js';
import { shortKey } from './schema-errors.js';

/** Deeper than any scenario needs (the stock shift nests five levels), shallow enough for any stack. */
export const MAX_YAML_DEPTH = 64;

/** An anchor may be reused this often; more is an expansion attack ("billion laughs"), not a scenario. */
const MAX_ALIAS_COUNT = 100;

/**
 * Keys that would reach an object's prototype once the mapping becomes a JavaScript object
 * (`__proto__: {service: x}` would make every missing field read as the attacker's).
 */
const FORBIDDEN_KEYS = new Set(['__proto__']);

function yamlError(error: YAMLError, file: string, lines: LineCounter): InputError {
  const where = lines.linePos(error.pos[0]);
  // Stryker disable next-line OptionalChaining,Regex: a split has a first line; the position occurs once, with its colon
  const why = error.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '');
  const what =
    error.code === 'TAG_RESOLVE_FAILED' ? `${why} (scenarios are plain YAML: no tags such as !include)` : why;
  return new InputError(`invalid YAML at line ${where.line}, column ${where.col}: ${what}`, file);
}

const join = (path: string, key: string | number) =>
  typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${shortKey(key)}` : shortKey(key);

/**
 * Every mapping's keys, checked in one pass over the document: duplicates (YAML forbids them; the
 * library's own check compares every pair of keys, quadratic in a big mapping), keys that would
 * reach a prototype, and nesting deeper than MAX_YAML_DEPTH. Iterative, so depth cannot blow the stack.
 */
function checkKeys(root: Node | null, file: string, lines: LineCounter): void {
  const stack: { node: unknown; path: string; depth: number }[] = [{ node: root, path: '', depth: 0 }];
  for (let top = stack.pop(); top; top = stack.pop()) {
    const { node, path, depth } = top;
    if (isAlias(node) || !(isMap(node) || isSeq(node))) continue;
    if (depth >= MAX_YAML_DEPTH) {
      // 64 levels deep, a path is at least 128 characters (`.k` or `[0]` a level): shown cut.
      throw new InputError(`nests deeper than ${MAX_YAML_DEPTH} levels`, file, `${path.slice(0, 60)}...`);
    }
    if (isSeq(node)) {
      node.items.forEach((item, i) => {
        stack.push({ node: item, path: join(path, i), depth: depth + 1 });
      });
      continue;
    }
    const seen = new Set<string>();
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const field = join(path, key);
      if (FORBIDDEN_KEYS.has(key)) throw new InputError('is not allowed as a key', file, field);
      if (seen.has(key)) {
        const at =
          // Stryker disable next-line all: with stringKeys every key is a scalar with a range
          isScalar(pair.key) && pair.key.range ? ` at line ${lines.linePos(pair.key.range[0]).line}` : '';
        throw new InputError(`duplicate key${at} (YAML keys must be unique)`, file, field);
      }
      seen.add(key);
      stack.push({ node: pair.value, path: field, depth: depth + 1 });
    }
  }
}

/**
 * Flow collections (`[[[[...`) nested past MAX_YAML_DEPTH, found by the library's lexer before its
 * parser builds them: a megabyte of `[` takes the parser a gigabyte and a quarter of a minute to
 * fail on. Few documents have that many brackets at all, and those are lexed once, linearly.
 */
function checkFlowDepth(text: string, file: string): void {
  let brackets = 0;
  // Stryker disable all: the count only decides whether the lexer runs; the lexer alone decides
  for (let i = text.indexOf('['); i >= 0 && brackets <= MAX_YAML_DEPTH; i = text.indexOf('[', i + 1))
    brackets++;
  for (let i = text.indexOf('{'); i >= 0 && brackets <= MAX_YAML_DEPTH; i = text.indexOf('{', i + 1))
    brackets++;
  if (brackets <= MAX_YAML_DEPTH) return;
  // Stryker restore all
  let depth = 0;
  for (const token of new Lexer().lex(text)) {
    if (token === '[' || token === '{') depth++;
    else if (token === ']' || token === '}') depth--;
    if (depth > MAX_YAML_DEPTH)
      throw new InputError(`invalid YAML: [ and { nest deeper than ${MAX_YAML_DEPTH} levels`, file);
  }
}

/**
 * Parses YAML that must be one mapping, as bad input reads: one error naming the file (and the
 * line, or the field), never a warning on the side. Unknown tags are errors, not strings.
 */
export function parseYamlMapping(
  text: string,
  file: string,
  shape = 'a YAML mapping',
): Record<string, unknown> {
  const lines = new LineCounter();
  let raw: unknown;
  try {
    // stringKeys: a key is a string or an error; uniqueKeys is checked by checkKeys in linear time.
    checkFlowDepth(text, file);
    const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false, stringKeys: true });
    const problem = doc.errors[0] ?? doc.warnings[0];
    if (problem) throw yamlError(problem, file, lines);
    checkKeys(doc.contents, file, lines);
    // Stryker disable next-line ObjectLiteral: the library's default is also 100; said here so it stays
    raw = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    if (error instanceof InputError) throw error;
    // Alias expansion past the limit, or a document nested past what the parser's stack holds.
    throw new InputError(`invalid YAML: ${(error as Error).message.split('\n')[0]}`, file);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new InputError(`must be ${shape}`, file);
  }
  return raw as Record<string, unknown>;
}
