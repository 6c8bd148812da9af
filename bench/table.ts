/** One line of the bench's table: what was measured, against what, and whether it holds. */
export interface Row {
  row: string;
  /** What this run measured, with its unit. */
  figure: string;
  target: string;
  /** The same work done the plain way in the same run, when there is one to compare with. */
  baseline: string;
  ratio: string;
  pass: boolean;
  /** How it was measured, one line, printed under the table. */
  how: string;
}

const COLUMNS = ['row', 'figure', 'target', 'baseline', 'ratio', 'result'] as const;

function cells(row: Row): string[] {
  return [row.row, row.figure, row.target, row.baseline || '-', row.ratio || '-', row.pass ? 'pass' : 'MISS'];
}

/** A Markdown table, so the same text reads in a terminal and pastes into bench/RESULTS.md. */
export function formatTable(rows: readonly Row[]): string {
  const body = rows.map(cells);
  const widths = COLUMNS.map((title, i) => Math.max(title.length, ...body.map((r) => r[i]?.length ?? 0)));
  const line = (values: readonly string[]) =>
    `| ${values.map((value, i) => value.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  const rule = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  const notes = rows.map((row) => `- ${row.row}: ${row.how}`);
  return [line(COLUMNS), rule, ...body.map(line), '', ...notes].join('\n');
}
