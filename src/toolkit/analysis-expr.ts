/**
 * The conditions of an analysis metric (`successCondition`, `failureCondition`): a small expression
 * language over the measurement `result`, the subset of Argo Rollouts' (expr-lang) conditions that
 * analysis templates use: numbers, strings, true/false/nil, `result`, `result[0]`, `result.field`,
 * comparisons, arithmetic, `&&` `||` `!` (and `and` `or` `not`), and the functions len, abs, min,
 * max, isNaN, isInf, default. It is parsed once into a tree and evaluated by walking it: no code is
 * ever evaluated, and anything else is a parse error naming where it is.
 */

export type Expr =
  | { kind: 'literal'; value: unknown }
  | { kind: 'name'; name: string }
  | { kind: 'member'; object: Expr; key: Expr }
  | { kind: 'call'; fn: string; args: Expr[] }
  | { kind: 'unary'; op: '!' | '-'; operand: Expr }
  | { kind: 'binary'; op: BinaryOp; left: Expr; right: Expr };

type BinaryOp = '||' | '&&' | '==' | '!=' | '<' | '<=' | '>' | '>=' | '+' | '-' | '*' | '/' | '%';

export class ExprError extends Error {}

interface Token {
  type: 'num' | 'str' | 'id' | 'op' | 'end';
  text: string;
  at: number;
}

const OPERATORS = [
  '&&',
  '||',
  '==',
  '!=',
  '<=',
  '>=',
  '<',
  '>',
  '+',
  '-',
  '*',
  '/',
  '%',
  '!',
  '(',
  ')',
  '[',
  ']',
  '.',
  ',',
];
const WORD_OPS: Record<string, string> = { and: '&&', or: '||', not: '!' };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const number = /^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?/.exec(source.slice(i));
    if (number) {
      tokens.push({ type: 'num', text: number[0], at: i });
      i += number[0].length;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i));
    if (word) {
      const op = WORD_OPS[word[0]];
      tokens.push(op ? { type: 'op', text: op, at: i } : { type: 'id', text: word[0], at: i });
      i += word[0].length;
      continue;
    }
    if (c === '"' || c === "'") {
      const end = source.indexOf(c, i + 1);
      if (end < 0) throw new ExprError(`unterminated string at ${i}`);
      tokens.push({ type: 'str', text: source.slice(i + 1, end), at: i });
      i = end + 1;
      continue;
    }
    const op = OPERATORS.find((o) => source.startsWith(o, i));
    if (!op) throw new ExprError(`unexpected '${c}' at ${i}`);
    tokens.push({ type: 'op', text: op, at: i });
    i += op.length;
  }
  tokens.push({ type: 'end', text: '', at: source.length });
  return tokens;
}

/** Binding power of each binary operator: higher binds tighter. */
const PRECEDENCE: Record<string, number> = {
  '||': 1,
  '&&': 2,
  '==': 3,
  '!=': 3,
  '<': 4,
  '<=': 4,
  '>': 4,
  '>=': 4,
  '+': 5,
  '-': 5,
  '*': 6,
  '/': 6,
  '%': 6,
};

const FUNCTIONS = ['len', 'abs', 'min', 'max', 'isNaN', 'isInf', 'default'];
const NAMES = ['result'];

/** Parses a condition; throws ExprError saying what and where. */
export function parseCondition(source: string): Expr {
  const tokens = tokenize(source);
  let pos = 0;
  const peek = () => tokens[pos] as Token;
  const next = () => tokens[pos++] as Token;
  const expect = (text: string) => {
    const token = next();
    if (token.text !== text || token.type !== 'op') {
      throw new ExprError(
        `expected '${text}' at ${token.at}, found ${token.type === 'end' ? 'the end' : `'${token.text}'`}`,
      );
    }
  };

  const expression = (minPower: number): Expr => {
    let left = prefix();
    for (;;) {
      const token = peek();
      const power = token.type === 'op' ? PRECEDENCE[token.text] : undefined;
      if (power === undefined || power < minPower) return left;
      next();
      left = { kind: 'binary', op: token.text as BinaryOp, left, right: expression(power + 1) };
    }
  };

  const prefix = (): Expr => {
    const token = next();
    if (token.type === 'op' && (token.text === '!' || token.text === '-')) {
      return { kind: 'unary', op: token.text, operand: prefix() };
    }
    return postfix(primary(token));
  };

  const primary = (token: Token): Expr => {
    if (token.type === 'num') return { kind: 'literal', value: Number(token.text) };
    if (token.type === 'str') return { kind: 'literal', value: token.text };
    if (token.type === 'op' && token.text === '(') {
      const inner = expression(0);
      expect(')');
      return inner;
    }
    if (token.type === 'id') {
      if (token.text === 'true' || token.text === 'false')
        return { kind: 'literal', value: token.text === 'true' };
      if (token.text === 'nil' || token.text === 'null') return { kind: 'literal', value: null };
      if (peek().text === '(' && peek().type === 'op') {
        if (!FUNCTIONS.includes(token.text))
          throw new ExprError(`unknown function ${token.text} at ${token.at}`);
        next();
        const args: Expr[] = [];
        if (peek().text !== ')') {
          args.push(expression(0));
          while (peek().text === ',') {
            next();
            args.push(expression(0));
          }
        }
        expect(')');
        return { kind: 'call', fn: token.text, args };
      }
      if (!NAMES.includes(token.text)) throw new ExprError(`unknown name ${token.text} at ${token.at}`);
      return { kind: 'name', name: token.text };
    }
    throw new ExprError(`unexpected ${token.type === 'end' ? 'end' : `'${token.text}'`} at ${token.at}`);
  };

  const postfix = (target: Expr): Expr => {
    let expr = target;
    for (;;) {
      const token = peek();
      if (token.type === 'op' && token.text === '[') {
        next();
        const key = expression(0);
        expect(']');
        expr = { kind: 'member', object: expr, key };
      } else if (token.type === 'op' && token.text === '.') {
        next();
        const field = next();
        if (field.type !== 'id') throw new ExprError(`expected a field name at ${field.at}`);
        expr = { kind: 'member', object: expr, key: { kind: 'literal', value: field.text } };
      } else {
        return expr;
      }
    }
  };

  const tree = expression(0);
  const rest = peek();
  if (rest.type !== 'end') throw new ExprError(`unexpected '${rest.text}' at ${rest.at}`);
  return tree;
}

const isNumber = (v: unknown): v is number => typeof v === 'number';

function numeric(v: unknown, what: string): number {
  // Providers hand back strings of numbers (Prometheus' values are strings): read them as numbers.
  if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
  if (!isNumber(v)) throw new ExprError(`${what} is ${JSON.stringify(v) ?? 'undefined'}, not a number`);
  return v;
}

function member(object: unknown, key: unknown): unknown {
  if (Array.isArray(object)) {
    const index = numeric(key, 'an index');
    if (!Number.isInteger(index) || index < 0 || index >= object.length) {
      throw new ExprError(`index ${index} out of range (length ${object.length})`);
    }
    return object[index];
  }
  if (object !== null && typeof object === 'object' && typeof key === 'string') {
    if (!Object.hasOwn(object, key)) throw new ExprError(`no field ${key}`);
    return (object as Record<string, unknown>)[key];
  }
  throw new ExprError(`cannot index ${JSON.stringify(object) ?? 'undefined'} with ${JSON.stringify(key)}`);
}

function call(fn: string, args: unknown[]): unknown {
  const [a, b] = args;
  switch (fn) {
    case 'len':
      if (Array.isArray(a) || typeof a === 'string') return a.length;
      if (a !== null && typeof a === 'object') return Object.keys(a).length;
      throw new ExprError(`len of ${JSON.stringify(a)}`);
    case 'abs':
      return Math.abs(numeric(a, 'abs argument'));
    case 'min':
    case 'max': {
      const values = (args.length === 1 && Array.isArray(a) ? a : args).map((v) =>
        numeric(v, `${fn} argument`),
      );
      if (values.length === 0) throw new ExprError(`${fn} of nothing`);
      return fn === 'min' ? Math.min(...values) : Math.max(...values);
    }
    case 'isNaN':
      return Number.isNaN(numeric(a, 'isNaN argument'));
    case 'isInf':
      return !Number.isFinite(numeric(a, 'isInf argument')) && !Number.isNaN(numeric(a, 'isInf argument'));
    default:
      return a === null || a === undefined ? b : a;
  }
}

function compare(op: BinaryOp, l: unknown, r: unknown): boolean {
  if (typeof l === 'string' && typeof r === 'string') {
    return op === '<' ? l < r : op === '<=' ? l <= r : op === '>' ? l > r : l >= r;
  }
  const x = numeric(l, 'the left side');
  const y = numeric(r, 'the right side');
  return op === '<' ? x < y : op === '<=' ? x <= y : op === '>' ? x > y : x >= y;
}

function equal(l: unknown, r: unknown): boolean {
  if (typeof l === 'string' && isNumber(r)) return numeric(l, 'the left side') === r;
  if (isNumber(l) && typeof r === 'string') return l === numeric(r, 'the right side');
  return l === r;
}

function truth(v: unknown, what: string): boolean {
  if (typeof v !== 'boolean') throw new ExprError(`${what} is ${JSON.stringify(v)}, not true or false`);
  return v;
}

function evaluate(expr: Expr, result: unknown): unknown {
  switch (expr.kind) {
    case 'literal':
      return expr.value;
    case 'name':
      return result;
    case 'member':
      return member(evaluate(expr.object, result), evaluate(expr.key, result));
    case 'call':
      return call(
        expr.fn,
        expr.args.map((arg) => evaluate(arg, result)),
      );
    case 'unary': {
      const v = evaluate(expr.operand, result);
      return expr.op === '!' ? !truth(v, 'the operand of !') : -numeric(v, 'the operand of -');
    }
    case 'binary': {
      const { op } = expr;
      const l = evaluate(expr.left, result);
      // && and || do not look at their right side when the left decides.
      if (op === '&&')
        return truth(l, 'the left of &&') && truth(evaluate(expr.right, result), 'the right of &&');
      if (op === '||')
        return truth(l, 'the left of ||') || truth(evaluate(expr.right, result), 'the right of ||');
      const r = evaluate(expr.right, result);
      if (op === '==') return equal(l, r);
      if (op === '!=') return !equal(l, r);
      if (op === '<' || op === '<=' || op === '>' || op === '>=') return compare(op, l, r);
      const x = numeric(l, `the left of ${op}`);
      const y = numeric(r, `the right of ${op}`);
      return op === '+' ? x + y : op === '-' ? x - y : op === '*' ? x * y : op === '/' ? x / y : x % y;
    }
  }
}

/** Whether a parsed condition holds for `result`; throws ExprError when it cannot be decided. */
export function holds(condition: Expr, result: unknown): boolean {
  return truth(evaluate(condition, result), 'the condition');
}

/** Parses and evaluates in one go (tests, one-off checks). */
export function conditionHolds(source: string, result: unknown): boolean {
  return holds(parseCondition(source), result);
}
