import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { bufferIo } from '../src/cli/io.js';
import { buildProgram, main } from '../src/cli/main.js';
import { liveConfigSchema } from '../src/live/config.js';
import { exportMachine } from '../src/views/export.js';
import { scenarioSchema } from '../src/world/scenario.js';

/**
 * The docs are held to the code: every `runbook ...` command in a shell block of README.md and
 * docs/**\/*.md names a command and flags the CLI has, a chosen set of them runs with the exit code
 * (and, where a page shows it, the output) the page documents, every scenario field
 * docs/scenario-format.md names exists in the schema and every field of the schema is named there,
 * every command and flag is in docs/cli.md, every dependency in docs/dependencies.md, every relative
 * link leads to a page and a heading that exist, and the README's picture is what `runbook export`
 * draws. Pages added later are read the same way: a wrong command in one fails naming page and line.
 */

const ROOT = process.cwd();

/** Pages other helpers are writing in parallel (issues 26-31): a link to one may arrive before it. */
function markdownPages(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return markdownPages(path);
    return entry.name.endsWith('.md') ? [path] : [];
  });
}

const PAGES = ['README.md', ...markdownPages('docs')].sort();
const read = (page: string) => readFileSync(join(ROOT, page), 'utf8');

interface Block {
  page: string;
  /** The line of the block's first line of content (1-based). */
  line: number;
  lang: string;
  lines: string[];
}

function blocksOf(page: string): Block[] {
  const blocks: Block[] = [];
  let open: Block | null = null;
  read(page)
    .split('\n')
    .forEach((text, i) => {
      const fence = /^\s*```\s*([\w-]*)/.exec(text);
      if (open === null && fence) open = { page, line: i + 2, lang: fence[1] ?? '', lines: [] };
      else if (open !== null && /^\s*```\s*$/.test(text)) {
        blocks.push(open);
        open = null;
      } else open?.lines.push(text);
    });
  return blocks;
}

const SHELL = new Set(['sh', 'bash', 'shell', 'console']);

interface ShellLine {
  page: string;
  line: number;
  text: string;
  /** What the page shows the command printing (the lines up to the next `$ ` line), if it is a `$ ` line. */
  output: string[] | null;
}

/** The commands of a shell block: `$ ` lines where the block shows output, else every line; heredocs skipped. */
function commandsOf(block: Block): ShellLine[] {
  const prompted = block.lines.some((l) => l.startsWith('$ '));
  const out: ShellLine[] = [];
  let heredoc: string | null = null;
  let current: ShellLine | null = null;
  for (const [i, raw] of block.lines.entries()) {
    if (heredoc !== null) {
      if (raw.trim() === heredoc) heredoc = null;
      continue;
    }
    if (current?.text.endsWith('\\')) {
      current.text = `${current.text.slice(0, -1)} ${raw.trim()}`;
    } else if (prompted && !raw.startsWith('$ ')) {
      current?.output?.push(raw);
      continue;
    } else {
      current = { page: block.page, line: block.line + i, text: prompted ? raw.slice(2) : raw, output: [] };
      out.push(current);
    }
    const marker = /<<-?\s*'?"?(\w+)'?"?/.exec(current.text);
    if (marker) heredoc = marker[1] ?? null;
  }
  for (const command of out) if (!prompted) command.output = null;
  return out;
}

const OPERATORS = ['&&', '||', '|', ';', '&', '(', ')', '<', '>'];

/** Shell words, quotes removed and comments dropped; operators are words of their own. */
function wordsOf(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  const end = () => {
    if (inWord) words.push(word);
    word = '';
    inWord = false;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? '';
    if (c === "'" || c === '"') {
      const close = text.indexOf(c, i + 1);
      word += text.slice(i + 1, close < 0 ? text.length : close);
      inWord = true;
      i = close < 0 ? text.length : close;
    } else if (c === '#' && !inWord) break;
    else if (/\s/.test(c)) end();
    else {
      const op = OPERATORS.find((o) => text.startsWith(o, i));
      if (op && !(op === '>' && /\d$/.test(word))) {
        end();
        words.push(op);
        i += op.length - 1;
      } else {
        word += c;
        inWord = true;
      }
    }
  }
  end();
  return words;
}

/** The arguments of each `runbook` invocation on a line (`runbook`, `npx runbook`, `node bin/runbook.cjs`). */
function invocationsOf(text: string): string[][] {
  const words = wordsOf(text);
  const found: string[][] = [];
  let start = 0;
  for (let i = 0; i <= words.length; i++) {
    if (i < words.length && !OPERATORS.includes(words[i] ?? '')) continue;
    const segment = words.slice(start, i);
    start = i + 1;
    const at = segment.findIndex(
      (w, j) => (w === 'runbook' && (j === 0 || segment[j - 1] === 'npx')) || w.endsWith('bin/runbook.cjs'),
    );
    if (
      at >= 0 &&
      segment
        .slice(0, at)
        .every(
          (w) =>
            /^\w+=/.test(w) || w === 'npx' || w === 'node' || w.startsWith('/usr/bin/time') || w === '-v',
        )
    )
      found.push(segment.slice(at + 1));
  }
  return found;
}

const program = buildProgram({ io: bufferIo(), exit: () => undefined });
const commands = new Map<string, Command>(program.commands.map((c) => [c.name(), c]));

/** What is wrong with one invocation's arguments, or null. */
function misuse(args: string[]): string | null {
  const [first, ...rest] = args;
  if (first === undefined || ['--help', '-h', '--version', '-V'].includes(first)) return null;
  if (first.startsWith('-')) return `runbook has no option ${first} (runbook --help)`;
  if (first === 'help') return null;
  const command = commands.get(first);
  if (!command)
    return `runbook has no command "${first}" (runbook --help lists: ${[...commands.keys()].join(', ')})`;
  const longs = new Set(['--help', ...command.options.map((o) => o.long).filter((l) => l !== undefined)]);
  const shorts = new Set(['-h', ...command.options.map((o) => o.short).filter((s) => s !== undefined)]);
  for (const arg of rest) {
    if (arg === '-' || !arg.startsWith('-') || /^-\d/.test(arg)) continue;
    const flag = arg.split('=')[0] ?? arg;
    if (!(flag.startsWith('--') ? longs : shorts).has(flag))
      return `runbook ${first} has no flag ${flag} (runbook ${first} --help lists: ${[...longs].join(', ')})`;
  }
  return null;
}

/** The shell of a CI workflow in YAML (GitHub Actions, GitLab): `run: CMD`, or the lines of `run: |`. */
function ciCommandsOf(block: Block): ShellLine[] {
  const out: ShellLine[] = [];
  let indent = -1;
  for (const [i, text] of block.lines.entries()) {
    const at = { page: block.page, line: block.line + i, output: null };
    const depth = text.search(/\S/);
    if (indent >= 0 && (depth > indent || text.trim() === '')) {
      if (text.trim() !== '') out.push({ ...at, text: text.trim() });
      continue;
    }
    indent = -1;
    const run = /^(\s*)(?:-\s*)?(?:run|script):\s*(.*)$/.exec(text);
    if (!run) continue;
    if (/^[|>]/.test(run[2] ?? '')) indent = (run[1] ?? '').length;
    else if (run[2]) out.push({ ...at, text: run[2] });
  }
  return out;
}

/** A block with no language: only the lines that start as a runbook command (a synopsis, a `$ ` line). */
function bareCommandsOf(block: Block): ShellLine[] {
  return block.lines.flatMap((text, i) => {
    const command = text.replace(/^\s*\$ /, '');
    return /^(npx )?runbook\s|^node bin\/runbook\.cjs\s/.test(command)
      ? [{ page: block.page, line: block.line + i, text: command, output: null }]
      : [];
  });
}

const shellLines = PAGES.flatMap((page) =>
  blocksOf(page).flatMap((block) => {
    if (SHELL.has(block.lang)) return commandsOf(block);
    if (block.lang === 'yaml' || block.lang === 'yml') return ciCommandsOf(block);
    return block.lang === '' || block.lang === 'text' ? bareCommandsOf(block) : [];
  }),
);

describe('the runbook commands in the docs', () => {
  it('are read from the README and every page under docs/, and there are some', () => {
    const counted = shellLines.filter((l) => invocationsOf(l.text).length > 0);
    expect(PAGES).toContain('README.md');
    expect(PAGES).toContain('docs/cli.md');
    expect(counted.length).toBeGreaterThan(25);
    expect(new Set(counted.map((l) => l.page)).size).toBeGreaterThan(5);
  });

  it('name only commands and flags the CLI has (page:line: what is wrong)', () => {
    const wrong = shellLines.flatMap((l) =>
      invocationsOf(l.text).flatMap((args) => {
        const why = misuse(args);
        return why ? [`${l.page}:${l.line}: ${why}: ${l.text.trim()}`] : [];
      }),
    );
    expect(wrong).toEqual([]);
  });

  it('tells a wrong command apart from a right one (the check itself can fail)', () => {
    expect(misuse(['gate', '--scenario', 'x.yaml', '--json'])).toBeNull();
    expect(misuse(['gate', '--senario', 'x.yaml'])).toMatch(/^runbook gate has no flag --senario/);
    expect(misuse(['gaet'])).toMatch(/^runbook has no command "gaet"/);
    expect(misuse(['inspect', '--no-autorun', '--port', '0'])).toBeNull();
    expect(
      invocationsOf('RUNBOOK_X=1 npx runbook storm --ndjson | runbook correlate --alerts - # x'),
    ).toEqual([
      ['storm', '--ndjson'],
      ['correlate', '--alerts', '-'],
    ]);
    expect(invocationsOf('exec 3< <(npx runbook inspect); read -r URL <&3')).toEqual([['inspect']]);
    expect(invocationsOf('curl -s localhost:9095/api/incidents --db postgres://runbook@db/runbook')).toEqual(
      [],
    );
  });
});

/**
 * Examples that run, in-process through the CLI's `main`, with the exit code the page gives; each must
 * still be on its page as written (a changed example is changed here too), and where the page shows
 * the output in full, the output must be it.
 */
const EXAMPLES: { page: string; command: string; exit: number }[] = [
  { page: 'README.md', command: 'npx runbook gate', exit: 0 },
  { page: 'README.md', command: 'npx runbook gate --scenario scenarios/broken-fix.yaml', exit: 1 },
  { page: 'README.md', command: 'npx runbook gate --scenario scenarios/checkout-api.yaml', exit: 0 },
  {
    page: 'README.md',
    command: 'npx runbook gate --scenario scenarios/kill-switch.yaml --plays scenarios/plays/kill-switch.js',
    exit: 0,
  },
  { page: 'README.md', command: 'npx runbook export --machine release --format mermaid', exit: 0 },
  {
    page: 'docs/inspector-and-report.md',
    command: 'npx runbook export --machine release --format mermaid',
    exit: 0,
  },
  { page: 'docs/contributing/testing.md', command: 'npx runbook paths --machine release', exit: 0 },
  {
    page: 'docs/cli.md',
    command: 'npx runbook rules --slo examples/slo/agent-slo.yaml --time-scale 60',
    exit: 0,
  },
  {
    page: 'docs/concepts.md',
    command: 'npx runbook demo --scenario scenarios/kill-switch.yaml --plays scenarios/plays/kill-switch.js',
    exit: 0,
  },
];

describe('the examples that run', () => {
  for (const example of EXAMPLES) {
    it(`${example.page}: \`${example.command}\` exits ${example.exit}`, async () => {
      const shown = shellLines.find(
        (l) => l.page === example.page && l.text.split('#')[0]?.trim() === example.command,
      );
      expect(shown, `${example.page} no longer shows \`${example.command}\``).toBeDefined();
      const [args = []] = invocationsOf(example.command);
      const io = bufferIo();
      const code = await main(args, io);
      expect(code, io.stderr).toBe(example.exit);
      const output = shown?.output ?? null;
      if (output && output.length > 0 && !output.some((l) => l.trim() === '...'))
        expect(io.stdout.trimEnd(), `${shown?.page}:${shown?.line}: the output shown`).toBe(
          output.join('\n').trimEnd(),
        );
    });
  }
});

describe('docs/cli.md', () => {
  const page = read('docs/cli.md');
  const sections = new Map(
    page
      .split(/^## /m)
      .slice(1)
      .map((section) => [/^`runbook (\S+?)[` ]/.exec(section)?.[1] ?? '', section]),
  );

  it('has a section for every command, naming each of its flags', () => {
    const missing = [...commands.values()].flatMap((command) => {
      const section = sections.get(command.name());
      if (section === undefined) return [`no section "## \`runbook ${command.name()}\`"`];
      return command.options
        .filter((o) => o.long !== undefined && !section.includes(`\`${o.long}`))
        .map((o) => `runbook ${command.name()}: ${o.long} is not in its section`);
    });
    expect(missing).toEqual([]);
  });
});

/**
 * Every field path of a schema, `a.b[].c`; a record's keys are `*` (`slos.*.kind`), and a field whose
 * schema JSON Schema cannot show (a runbook, checked by its own parser) is `field.**`: anything under it.
 */
function schemaPaths(schema: unknown, prefix = '', into = new Set<string>()): Set<string> {
  if (schema === null || typeof schema !== 'object') return into;
  const s = schema as Record<string, unknown>;
  for (const [key, value] of Object.entries((s.properties as Record<string, unknown>) ?? {})) {
    into.add(`${prefix}${key}`);
    const shape = Object.keys((value as Record<string, unknown>) ?? {}).filter((k) => k !== 'description');
    if (shape.length === 0) into.add(`${prefix}${key}.**`);
    schemaPaths(value, `${prefix}${key}.`, into);
  }
  if (typeof s.additionalProperties === 'object') {
    into.add(`${prefix}*`);
    schemaPaths(s.additionalProperties, `${prefix}*.`, into);
  }
  if (s.items) schemaPaths(s.items, `${prefix.replace(/\.$/, '')}[].`, into);
  for (const key of ['anyOf', 'oneOf', 'allOf'])
    for (const branch of (s[key] as unknown[]) ?? []) schemaPaths(branch, prefix, into);
  return into;
}

/** Keys read before the schema: `extends` (another scenario) and `sloSpec` (a Sloth spec). */
const PRE_SCHEMA = ['extends', 'sloSpec'];
const pathsOf = (schema: z.ZodType) =>
  schemaPaths(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }));
const SCENARIO = pathsOf(scenarioSchema);

/** A documented path in the schema's words (a record's key as `*`), or null when the schema lacks it. */
function schemaPathOf(path: string, SCHEMA = SCENARIO, pre = PRE_SCHEMA): string | null {
  if (pre.includes(path)) return path;
  let at = '';
  const join = (a: string, b: string) => (a === '' ? b : `${a}.${b}`);
  for (const segment of path.split('.')) {
    const list = segment.endsWith('[]');
    const key = list ? segment.slice(0, -2) : segment;
    if (SCHEMA.has(join(at, key))) at = join(at, key);
    else if (SCHEMA.has(join(at, '*'))) at = join(at, '*');
    else return null;
    if (SCHEMA.has(join(at, '**'))) return path;
    if (list) at = `${at}[]`;
  }
  return at;
}
const known = (path: string) => schemaPathOf(path) !== null;

/** Every key path of a YAML example, and every `field` in the first column of a table. */
function documentedFields(page: string, tables = true): Map<string, number> {
  const fields = new Map<string, number>();
  const add = (path: string, line: number) => {
    const parts = path.split('.');
    parts.forEach((_, i) => {
      const prefix = parts
        .slice(0, i + 1)
        .join('.')
        .replace(/\[\]$/, '');
      if (!fields.has(prefix)) fields.set(prefix, line);
    });
  };
  const walk = (value: unknown, path: string, line: number) => {
    if (Array.isArray(value)) for (const item of value) walk(item, `${path}[]`, line);
    else if (value !== null && typeof value === 'object')
      for (const [key, child] of Object.entries(value)) {
        if (key === '...') continue;
        const at = path === '' ? key : `${path}.${key}`;
        add(at, line);
        walk(child, at, line);
      }
  };
  for (const block of blocksOf(page).filter((b) => b.lang === 'yaml'))
    walk(parseYaml(block.lines.join('\n')), '', block.line);
  if (!tables) return fields;
  read(page)
    .split('\n')
    .forEach((text, i) => {
      const cell = /^\| `([\w[\].*]+)` \|/.exec(text);
      if (cell?.[1]) add(cell[1], i + 1);
    });
  return fields;
}

describe('docs/scenario-format.md', () => {
  const fields = documentedFields('docs/scenario-format.md');

  it('names only fields the scenario schema has', () => {
    const unknown = [...fields]
      .filter(([path]) => !known(path))
      .map(([path, line]) => `docs/scenario-format.md:${line}: ${path}`);
    expect(fields.size).toBeGreaterThan(100);
    expect(unknown).toEqual([]);
  });

  it('names every field of the schema', () => {
    const named = new Set([...fields.keys()].map((path) => schemaPathOf(path)));
    const undocumented = [...SCENARIO].filter((path) => !path.endsWith('*') && !named.has(path));
    expect(undocumented).toEqual([]);
  });

  it('would notice a field the schema lacks (the check itself can fail)', () => {
    expect(known('storm.groupBy')).toBe(true);
    expect(known('incidentTypes[].match.service')).toBe(true);
    expect(schemaPathOf('slos.checkout-latency.thresholdMs')).toBe('slos.*.thresholdMs');
    expect(known('slos.checkout-latency.threshold')).toBe(false);
    expect(known('incidentTypes[].runbook.steps[].approve')).toBe(true);
    expect(known('storm.groupby')).toBe(false);
    expect(known('service.index.maxAge')).toBe(false);
  });
});

describe('docs/serve.md', () => {
  it("names only fields serve's configuration has", () => {
    const live = pathsOf(liveConfigSchema);
    const fields = documentedFields('docs/serve.md', false);
    const unknown = [...fields]
      .filter(([path]) => schemaPathOf(path, live, ['sloSpec']) === null)
      .map(([path, line]) => `docs/serve.md:${line}: ${path}`);
    expect(fields.size).toBeGreaterThan(30);
    expect(unknown).toEqual([]);
    expect(schemaPathOf('journal.maxCommitSeconds', live, [])).toBe('journal.maxCommitSeconds');
    expect(schemaPathOf('journal.maxCommitSecond', live, [])).toBeNull();
  });
});

describe('docs/dependencies.md', () => {
  it('has a line for every dependency in package.json', () => {
    const manifest = JSON.parse(read('package.json')) as Record<string, Record<string, string> | undefined>;
    const names = [
      ...Object.keys(manifest.dependencies ?? {}),
      ...Object.keys(manifest.devDependencies ?? {}),
    ];
    const firstColumns = read('docs/dependencies.md')
      .split('\n')
      .filter((l) => l.startsWith('| '))
      .map((l) => l.split('|')[1] ?? '');
    const missing = names.filter(
      (name) =>
        !firstColumns.some((cell) =>
          new RegExp(`(^|[\\s,])${name.replace(/[/.]/g, '\\$&')}([\\s,]|$)`).test(cell),
        ),
    );
    expect(names.length).toBeGreaterThan(20);
    expect(missing).toEqual([]);
  });
});

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
const anchorOf = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');

function anchorsOf(page: string): Set<string> {
  const inCode = new Set(blocksOf(page).flatMap((b) => b.lines));
  return new Set(
    read(page)
      .split('\n')
      .filter((l) => /^#{1,6} /.test(l) && !inCode.has(l))
      .map((l) => anchorOf(l.replace(/^#+ /, ''))),
  );
}

describe('links between pages', () => {
  it('lead to files and headings that exist', () => {
    const broken = PAGES.flatMap((page) =>
      read(page)
        .split('\n')
        .flatMap((text, i) =>
          [...text.matchAll(/\]\(([^)\s]+)\)/g)].flatMap((match) => {
            const target = match[1] ?? '';
            if (/^[a-z]+:/.test(target)) return [];
            const [file = '', anchor] = target.split('#');
            const path = file === '' ? page : normalize(join(dirname(page), file));
            const where = `${page}:${i + 1}: ${target}`;
            if (!existsSync(join(ROOT, path))) return [`${where}: no such file`];
            if (anchor && path.endsWith('.md') && !anchorsOf(path).has(anchor))
              return [`${where}: no heading #${anchor}`];
            return [];
          }),
        ),
    );
    expect(broken).toEqual([]);
  });

  it('reach every page under docs/ from docs/README.md or the README', () => {
    const index = `${read('README.md')}\n${read('docs/README.md')}`;
    const unlinked = PAGES.filter((p) => p.startsWith('docs/') && p !== 'docs/README.md').filter(
      (p) => !index.includes(`](${relative('docs', p)})`) && !index.includes(`](${p})`),
    );
    expect(unlinked).toEqual([]);
  });
});

describe("the README's picture", () => {
  it('is the incident statechart as `runbook export` draws it now', async () => {
    const drawn = await exportMachine('incident', 'svg');
    expect(
      readFileSync(join(ROOT, 'docs/img/incident.svg'), 'utf8') === drawn,
      'docs/img/incident.svg is stale: npx runbook export --machine incident --format svg --out docs/img/incident.svg',
    ).toBe(true);
    expect(
      readFileSync(join(ROOT, 'docs/img/release.svg'), 'utf8') === (await exportMachine('release', 'svg')),
      'docs/img/release.svg is stale: npx runbook export --machine release --format svg --out docs/img/release.svg',
    ).toBe(true);
  });

  it('keeps the README short: at most about 200 lines', () => {
    expect(read('README.md').split('\n').length).toBeLessThanOrEqual(210);
  });
});
