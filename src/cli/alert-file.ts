import { isAscii } from 'node:buffer';
import { createReadStream, statSync } from 'node:fs';
import {
  type Alert,
  DEFAULT_RESOLVE_TIMEOUT_MINUTES,
  FORBIDDEN_NAME,
  parseAlert,
} from '../toolkit/alerts.js';
import { InputError, inFile } from '../toolkit/errors.js';
import { mebibytes, unreadable } from '../toolkit/files.js';

/**
 * 1 GiB: about four million alerts as Alertmanager sends them. The file is streamed, so memory
 * follows the distinct label sets, not the bytes; the cap bounds the time.
 */
export const MAX_ALERT_FILE_BYTES = 1 << 30;
/** One alert is a few hundred bytes; a megabyte of one is a runaway string or nesting, not an alert. */
export const MAX_ALERT_BYTES = 1 << 20;

/** Nesting allowed inside one alert: its labels and annotations sit two levels down. */
const MAX_ALERT_DEPTH = 16;
/** Bytes read at a time: the text of at most this many alerts (and their objects) is alive at once. */
const CHUNK_BYTES = 1 << 20;

const SHAPE = 'must be a JSON list of alerts or {"alerts": [...]}';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const NEWLINE = 0x0a;
/** What each byte is to the scan, looked up rather than compared; most bytes are 0, nothing to it. */
const WHITESPACE = 1;
const OPENER = 2; // [ {
const CLOSER = 3; // ] }
const KIND = new Uint8Array(256);
for (const b of [0x20, 0x09, 0x0a, 0x0d]) KIND[b] = WHITESPACE;
for (const b of [0x5b, 0x7b]) KIND[b] = OPENER;
for (const b of [0x5d, 0x7d]) KIND[b] = CLOSER;
/** What a JSON value other than a list or an object starts with: `"`, `-`, a digit, true, false, null. */
const SCALAR_STARTS = new Set([...'"-0123456789tfn'].map((c) => c.charCodeAt(0)));

const invalid = (why: string) => new InputError(`invalid JSON: ${why}`);

/** The text of buf[from, to): read as Latin-1 when it is ASCII (the same string, decoded several times faster). */
function decode(buf: Buffer, from: number, to: number): string {
  const part = buf.subarray(from, to);
  return isAscii(part) ? part.toString('latin1') : part.toString('utf8');
}

/** Whether a parsed value has a `__proto__` key anywhere: refused, as a label set holding it reads wrong. */
function hasForbiddenName(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (Object.hasOwn(value, FORBIDDEN_NAME)) return true;
  return Object.values(value).some(hasForbiddenName);
}

/** Alerts parsed from text, each checked and handed on; counts them for the field names. */
class AlertSink {
  index = 0;
  constructor(
    private readonly onAlert: (alert: Alert) => void,
    private readonly resolveTimeoutMinutes: number,
  ) {}

  /**
   * The alerts of a stretch of a JSON list: alert k ends at `ends[k]` (a comma, or the list's closing
   * bracket) and starts after the one before, the first at `from`. Each is parsed on its own: one
   * JSON.parse an alert takes 0.8 s for a million in a fresh process, against 1.8 s for the same text as
   * 1 MB lists, whose alerts all live until their list is parsed and are promoted out of the young heap.
   */
  elements(buf: Buffer, from: number, ends: readonly number[]): void {
    const to = ends[ends.length - 1] as number;
    const bytes = buf.subarray(from, to);
    // ASCII text's string offsets are its byte offsets: decode the stretch once and cut it.
    const text = isAscii(bytes) ? bytes.toString('latin1') : null;
    const guard = text === null || text.includes(`"${FORBIDDEN_NAME}"`);
    let start = from;
    for (const end of ends) {
      const part = text === null ? buf.toString('utf8', start, end) : text.slice(start - from, end - from);
      let value: unknown;
      try {
        value = JSON.parse(part);
      } catch (error) {
        throw invalid(`alerts[${this.index}]: ${(error as Error).message}`);
      }
      this.one(value, guard);
      start = end + 1;
    }
  }

  one(value: unknown, guard = true): void {
    const field = `alerts[${this.index}]`;
    if (guard && hasForbiddenName(value))
      throw new InputError(`"${FORBIDDEN_NAME}" is not allowed as a name`, undefined, field);
    this.onAlert(parseAlert(value, field, this.resolveTimeoutMinutes));
    this.index++;
  }
}

/**
 * Follows the bytes of `[alert, ...]` or `{"alerts": [alert, ...], ...}` chunk by chunk: strings,
 * nesting, and the commas of the alert list. At each flush the alerts between those commas go to
 * `JSON.parse` one by one; whatever lies outside the list (the frame) is kept, bounded, and parsed at the
 * end, so the whole file is checked as JSON while only a chunk of it is ever in memory.
 */
class AlertListScanner {
  private rest: Buffer = Buffer.alloc(0);
  private inString = false;
  private escaped = false;
  private depth = 0;
  /** The depth of the alert list while inside it (1 for a list, 2 inside {"alerts": ...}), else -1. */
  private listDepth = -1;
  private sawList = false;
  private topLevel: 'none' | 'list' | 'object' | 'done' = 'none';
  /** In the top object: whether the next string is a key, where it starts, and the key before the colon. */
  private expectKey = false;
  private keyStart = -1;
  private key = '';
  private valueOfAlerts = false;
  /**
   * Where the list's commas since the last flush are in the chunk being scanned: each ended an alert
   * not yet handed on (and one more is in progress).
   */
  private commas: number[] = [];
  private elementStart = 0;
  private frame = '';

  constructor(private readonly sink: AlertSink) {}

  feed(chunk: Buffer): void {
    const buf = this.rest.length > 0 ? Buffer.concat([this.rest, chunk]) : chunk;
    let mark = 0;
    let lastComma = -1;
    let i = this.rest.length;
    for (; i < buf.length; i++) {
      if (this.inString) {
        i = this.skipString(buf, i);
        continue;
      }
      const b = buf[i] as number;
      const kind = KIND[b] as number;
      if (kind === WHITESPACE) continue;
      if (this.topLevel === 'done')
        throw invalid(`unexpected ${describeByte(b)} after the end of the JSON value`);
      if (this.depth === 0 && this.topLevel === 'none') this.opens(b);
      // The value of the top object's "alerts" must be the list.
      if (this.valueOfAlerts && b !== 0x5b)
        throw new InputError('must be a list of alerts', undefined, 'alerts');
      if (b === QUOTE) {
        this.inString = true;
        if (this.depth === 1 && this.topLevel === 'object' && this.expectKey) this.keyStart = i;
      } else if (kind === OPENER) {
        if (this.valueOfAlerts) {
          this.frame += buf.toString('utf8', mark, i + 1);
          mark = i + 1;
          this.startList(1, i + 1);
        }
        this.depth++;
        if (this.listDepth > 0 && this.depth - this.listDepth > MAX_ALERT_DEPTH)
          throw new InputError(`nests deeper than ${MAX_ALERT_DEPTH} levels`, undefined, this.where());
        if (this.depth === 1 && this.topLevel === 'list') {
          this.frame += buf.toString('utf8', mark, i + 1);
          mark = i + 1;
          this.startList(0, i + 1);
        }
        if (this.depth === 1 && this.topLevel === 'object') this.expectKey = true;
      } else if (kind === CLOSER) {
        if (this.depth === this.listDepth) {
          this.flush(buf, mark, i, true);
          mark = i;
          lastComma = -1;
          this.listDepth = -1;
        }
        this.depth--;
        if (this.depth < 0) throw invalid(`unexpected ${describeByte(b)}`);
        if (this.depth === 0) this.topLevel = 'done';
      } else if (b === COMMA) {
        if (this.depth === this.listDepth) {
          this.checkSize(i);
          lastComma = i;
          this.commas.push(i);
          this.elementStart = i + 1;
        } else if (this.depth === 1 && this.topLevel === 'object') this.expectKey = true;
      } else if (b === COLON && this.depth === 1 && this.topLevel === 'object') {
        this.expectKey = false;
        this.valueOfAlerts = this.key === 'alerts' && !this.sawList;
        this.key = '';
      }
    }
    if (this.listDepth > 0) {
      this.checkSize(buf.length);
      if (lastComma >= 0) {
        this.flush(buf, mark, lastComma, false);
        mark = lastComma + 1;
      }
    } else {
      // A top-level key cut by the chunk's end stays in `rest`, whole, for keyEnds to read once it closes.
      const upTo = this.keyStart >= 0 ? this.keyStart : buf.length;
      this.frame += buf.toString('utf8', mark, upTo);
      mark = upTo;
      if (this.frame.length + (buf.length - upTo) > MAX_ALERT_BYTES)
        throw new InputError(`has more than ${mebibytes(MAX_ALERT_BYTES)} of JSON outside any alert`);
    }
    this.elementStart -= mark;
    if (this.keyStart >= 0) this.keyStart -= mark;
    this.rest = buf.subarray(mark);
  }

  end(): void {
    if (this.topLevel === 'none') throw new InputError(SHAPE);
    if (this.topLevel !== 'done') throw invalid('unexpected end of the file');
    try {
      JSON.parse(this.frame, (key, value) => {
        if (key === FORBIDDEN_NAME)
          throw new InputError(`"${FORBIDDEN_NAME}" is not allowed as a name`, undefined, 'alerts');
        return value;
      });
    } catch (error) {
      if (error instanceof InputError) throw error;
      throw invalid((error as Error).message);
    }
    if (!this.sawList) throw new InputError('is required (a list of alerts)', undefined, 'alerts');
  }

  /**
   * Inside a string from `from`: jumps to its closing quote (memchr, through Buffer.indexOf: most of an
   * alert's bytes are in strings, and a byte loop over them was most of the scan) and returns where it
   * is, having left the string; or returns the chunk's last byte when the string goes on past it. A
   * quote ends the string unless an odd run of backslashes comes right before it. UTF-8 never has a
   * quote or backslash byte inside a longer character, so bytes are safe to search.
   */
  private skipString(buf: Buffer, from: number): number {
    let at = from;
    if (this.escaped) {
      this.escaped = false;
      at++;
    }
    for (;;) {
      const quote = buf.indexOf(QUOTE, at);
      const end = quote < 0 ? buf.length : quote;
      let before = end - 1;
      while (before >= at && buf[before] === BACKSLASH) before--;
      const escapedByRun = (end - 1 - before) % 2 === 1;
      if (quote < 0) {
        // The chunk ends inside the string; a trailing odd run of backslashes escapes the next byte.
        this.escaped = escapedByRun;
        return buf.length - 1;
      }
      if (!escapedByRun) {
        this.inString = false;
        if (this.keyStart >= 0) this.keyEnds(buf, quote);
        return quote;
      }
      at = quote + 1;
    }
  }

  /** The first byte of the file: a list or an object; any other JSON value is the wrong shape. */
  private opens(b: number): void {
    if (b === 0x5b) this.topLevel = 'list';
    else if (b === 0x7b) this.topLevel = 'object';
    else if (SCALAR_STARTS.has(b)) throw new InputError(SHAPE);
    else throw invalid(`unexpected ${describeByte(b)} at the start`);
  }

  private keyEnds(buf: Buffer, at: number): void {
    try {
      this.key = JSON.parse(buf.toString('utf8', this.keyStart, at + 1)) as string;
    } catch (error) {
      throw invalid((error as Error).message);
    }
    this.keyStart = -1;
    this.expectKey = false;
  }

  private startList(depthBefore: number, elementStart: number): void {
    this.listDepth = depthBefore + 1;
    this.sawList = true;
    this.valueOfAlerts = false;
    this.commas = [];
    this.elementStart = elementStart;
  }

  /** Hands the alerts in buf[from, to) to the sink; `last` when `to` is the list's closing bracket. */
  private flush(buf: Buffer, from: number, to: number, last: boolean): void {
    this.checkSize(to);
    // Up to a comma, each comma ended one alert; up to the closing bracket, one more follows the last.
    const ends = this.commas;
    if (last) ends.push(to);
    this.commas = [];
    if (last && ends.length === 1 && decode(buf, from, to).trim() === '') return;
    this.sink.elements(buf, from, ends);
  }

  private checkSize(at: number): void {
    if (at - this.elementStart > MAX_ALERT_BYTES)
      throw new InputError(
        `is larger than ${mebibytes(MAX_ALERT_BYTES)}, the most one alert may take`,
        undefined,
        this.where(),
      );
  }

  private where(): string {
    return this.listDepth > 0 ? `alerts[${this.sink.index + this.commas.length}]` : 'alerts';
  }
}

function describeByte(b: number): string {
  return b >= 0x20 && b < 0x7f ? `'${String.fromCharCode(b)}'` : `byte 0x${b.toString(16).padStart(2, '0')}`;
}

/** NDJSON: one alert per line, blank lines skipped; a line is parsed as soon as it is whole. */
class AlertLineScanner {
  private rest: Buffer = Buffer.alloc(0);
  private line = 0;

  constructor(private readonly sink: AlertSink) {}

  feed(chunk: Buffer): void {
    let from = 0;
    if (this.rest.length > 0) {
      // Only the line the last chunk cut is joined up, not the whole chunk copied behind it.
      const first = chunk.indexOf(NEWLINE);
      const upTo = first < 0 ? chunk.length : first;
      const line = Buffer.concat([this.rest, chunk.subarray(0, upTo)]);
      if (first < 0) {
        this.rest = line;
        if (this.rest.length > MAX_ALERT_BYTES) throw this.tooBig();
        return;
      }
      this.parseLine(decode(line, 0, line.length));
      from = first + 1;
    }
    const last = chunk.lastIndexOf(NEWLINE);
    if (last >= from) for (const line of decode(chunk, from, last).split('\n')) this.parseLine(line);
    this.rest = chunk.subarray(last + 1);
    if (this.rest.length > MAX_ALERT_BYTES) throw this.tooBig();
  }

  private tooBig(): InputError {
    const limit = mebibytes(MAX_ALERT_BYTES);
    return new InputError(
      `is larger than ${limit}, the most one alert may take`,
      undefined,
      `alerts[${this.sink.index}]`,
    );
  }

  end(): void {
    this.parseLine(this.rest.toString('utf8'));
  }

  private parseLine(text: string): void {
    this.line++;
    if (text.length > MAX_ALERT_BYTES) throw this.tooBig();
    if (text.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw invalid(`line ${this.line}: ${(error as Error).message}`);
    }
    this.sink.one(value, text.includes(`"${FORBIDDEN_NAME}"`));
  }
}

/**
 * Whether a file is NDJSON: by its name (.ndjson, .jsonl), else by its first line that is not blank, when it is
 * a whole JSON object by itself that is not `{"alerts": [...]}`. A JSON document's first line is
 * rarely a whole value, and when it is, it is the whole document.
 */
export function isNdjson(file: string, head: Buffer): boolean {
  if (/\.(ndjson|jsonl)$/i.test(file)) return true;
  let start = 0;
  while (start < head.length && KIND[head[start] as number] === WHITESPACE) start++;
  const nl = head.indexOf(NEWLINE, start);
  if (head[start] !== 0x7b || nl < 0) return false;
  const first = head.toString('utf8', start, nl);
  try {
    const value = JSON.parse(first) as Record<string, unknown>;
    return !Object.hasOwn(value, 'alerts');
  } catch {
    return false;
  }
}

/** How messages name standard input (`--alerts -`). */
const STDIN_NAME = '(standard input)';

/**
 * Streams the alerts of a file (or of standard input, `-`) into `onAlert`: a JSON list, `{"alerts": [...]}`, or NDJSON (one alert
 * a line). The text is read a chunk at a time and each chunk's alerts are parsed with JSON.parse and
 * handed over, so a million-alert file never sits in memory as text or as objects.
 */
export async function readAlerts(
  source: string,
  onAlert: (alert: Alert) => void,
  resolveTimeoutMinutes = DEFAULT_RESOLVE_TIMEOUT_MINUTES,
  /** Told after each chunk how many bytes were read, and of how many (null: standard input). */
  onRead?: (bytes: number, total: number | null) => void,
): Promise<void> {
  // `-` is standard input, as for most command-line tools: `runbook storm | runbook correlate --alerts -`.
  const fromStdin = source === '-';
  const file = fromStdin ? STDIN_NAME : source;
  let total: number | null = null;
  if (!fromStdin) {
    let stats: ReturnType<typeof statSync>;
    try {
      stats = statSync(file);
    } catch (error) {
      throw unreadable(file, (error as NodeJS.ErrnoException).code);
    }
    if (stats.isDirectory()) throw unreadable(file, 'EISDIR');
    total = stats.isFile() ? stats.size : null;
  }
  const input = fromStdin ? process.stdin : createReadStream(file, { highWaterMark: CHUNK_BYTES });
  await scanAlerts(file, onRead ? counted(input, total, onRead) : input, onAlert, resolveTimeoutMinutes);
}

async function* counted(
  chunks: AsyncIterable<Buffer>,
  total: number | null,
  onRead: (bytes: number, total: number | null) => void,
): AsyncGenerator<Buffer> {
  let bytes = 0;
  for await (const chunk of chunks) {
    yield chunk;
    bytes += chunk.length;
    onRead(bytes, total);
  }
}

/**
 * The alerts of a stream of chunks, however it is cut, named `file` in messages: what readAlerts does
 * once the file is open (and what a test feeds a chunk at a time).
 */
export async function scanAlerts(
  file: string,
  chunks: AsyncIterable<Buffer> | Iterable<Buffer>,
  onAlert: (alert: Alert) => void,
  resolveTimeoutMinutes = DEFAULT_RESOLVE_TIMEOUT_MINUTES,
): Promise<void> {
  const sink = new AlertSink(onAlert, resolveTimeoutMinutes);
  let scanner: AlertListScanner | AlertLineScanner | null = null;
  let bytes = 0;
  try {
    for await (const chunk of chunks) {
      let data = chunk as Buffer;
      // A UTF-8 byte order mark (Windows editors write one) is no part of the JSON.
      if (bytes === 0 && data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) data = data.subarray(3);
      bytes += (chunk as Buffer).length;
      if (bytes > MAX_ALERT_FILE_BYTES)
        throw new InputError(`is larger than ${mebibytes(MAX_ALERT_FILE_BYTES)}, the most correlate reads`);
      scanner ??= isNdjson(file, data) ? new AlertLineScanner(sink) : new AlertListScanner(sink);
      scanner.feed(data);
    }
    (scanner ?? new AlertListScanner(sink)).end();
  } catch (error) {
    if (error instanceof InputError) throw inFile(file, error);
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== undefined) throw unreadable(file, code);
    throw error;
  }
}
