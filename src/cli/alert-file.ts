import { createReadStream, statSync } from 'node:fs';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import Assembler from 'stream-json/Assembler.js';
import Parser from 'stream-json/Parser.js';
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
 * follows the distinct label sets (about 450 MB for a million), not the bytes; the cap bounds the time.
 */
export const MAX_ALERT_FILE_BYTES = 1 << 30;
/** One alert is a few hundred bytes; a megabyte of one is a runaway string or nesting, not an alert. */
export const MAX_ALERT_BYTES = 1 << 20;

/** Nesting allowed inside one alert: its labels and annotations sit two levels down. */
const MAX_ALERT_DEPTH = 16;

const SHAPE = 'must be a JSON list of alerts or {"alerts": [...]}';

interface Token {
  name: string;
  value?: string;
}

/**
 * Follows the parser's tokens through `[alert, ...]` or `{"alerts": [alert, ...], ...}` and hands
 * over each alert as soon as its last token arrives, so only one alert is ever assembled at a time.
 */
class AlertListReader {
  private phase: 'start' | 'object' | 'alertsValue' | 'skipValue' | 'list' | 'done' = 'start';
  private inObject = false;
  private sawList = false;
  /** Nesting inside the alert being assembled, or inside the value being skipped. */
  private depth = 0;
  private index = 0;
  private readonly assembler = new Assembler();
  /** Bytes read when the last alert ended (or the list began): what one alert may grow from. */
  boundary = 0;

  constructor(
    private readonly onAlert: (alert: Alert) => void,
    private readonly bytesRead: () => number,
    private readonly resolveTimeoutMinutes: number,
  ) {}

  push(token: Token): void {
    // A key the assembler would turn into the object's prototype instead of an entry.
    if (token.name === 'keyValue' && token.value === FORBIDDEN_NAME)
      throw new InputError(`"${FORBIDDEN_NAME}" is not allowed as a name`, undefined, this.where());
    const opens = token.name === 'startObject' || token.name === 'startArray';
    const closes = token.name === 'endObject' || token.name === 'endArray';
    switch (this.phase) {
      case 'start':
        if (token.name === 'startArray') this.startList();
        else if (token.name === 'startObject') [this.phase, this.inObject] = ['object', true];
        else throw new InputError(SHAPE);
        return;
      case 'object':
        if (token.name === 'endObject') this.phase = 'done';
        else if (token.value === 'alerts' && !this.sawList) this.phase = 'alertsValue';
        else [this.phase, this.depth] = ['skipValue', 0];
        return;
      case 'alertsValue':
        if (token.name !== 'startArray')
          throw new InputError('must be a list of alerts', undefined, 'alerts');
        this.startList();
        return;
      case 'skipValue':
        this.depth += opens ? 1 : closes ? -1 : 0;
        if (this.depth === 0) this.phase = 'object';
        return;
      case 'list':
        if (this.depth === 0 && token.name === 'endArray') {
          this.phase = this.inObject ? 'object' : 'done';
          return;
        }
        this.depth += opens ? 1 : closes ? -1 : 0;
        // An alert is labels and annotations of strings: three levels; runaway nesting is refused early.
        if (this.depth > MAX_ALERT_DEPTH)
          throw new InputError(`nests deeper than ${MAX_ALERT_DEPTH} levels`, undefined, this.where());
        this.assembler.consume(token);
        if (this.depth === 0) {
          this.onAlert(
            parseAlert(this.assembler.current, `alerts[${this.index++}]`, this.resolveTimeoutMinutes),
          );
          this.boundary = this.bytesRead();
        }
        return;
      case 'done':
        return;
    }
  }

  end(): void {
    if (this.sawList) return;
    if (this.inObject) throw new InputError('is required (a list of alerts)', undefined, 'alerts');
    throw new InputError(SHAPE);
  }

  /** The error for a stretch of input past MAX_ALERT_BYTES with no alert finished in it. */
  tooBig(): InputError {
    const limit = mebibytes(MAX_ALERT_BYTES);
    if (this.phase === 'list')
      return new InputError(`is larger than ${limit}, the most one alert may take`, undefined, this.where());
    return new InputError(`has more than ${limit} of JSON outside any alert`);
  }

  private where(): string {
    return this.phase === 'list' ? `alerts[${this.index}]` : 'alerts';
  }

  private startList(): void {
    [this.phase, this.sawList, this.depth] = ['list', true, 0];
    this.boundary = this.bytesRead();
  }
}

/**
 * Counts the bytes on their way to the parser and stops the read at the file's cap, or when one
 * alert grows past its own: the parser keeps an unfinished string or nesting in memory, so the
 * bound must be kept before it.
 */
function byteLimit(reader: () => AlertListReader, file: string, count: { bytes: number }) {
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      count.bytes += chunk.length;
      if (count.bytes > MAX_ALERT_FILE_BYTES) {
        done(
          new InputError(`is larger than ${mebibytes(MAX_ALERT_FILE_BYTES)}, the most correlate reads`, file),
        );
        return;
      }
      if (count.bytes - reader().boundary > MAX_ALERT_BYTES + chunk.length) {
        done(reader().tooBig());
        return;
      }
      done(null, chunk);
    },
  });
}

/**
 * Streams the alerts of a file into `onAlert`: the JSON text is read in chunks and each alert is
 * dropped once handed over, so a million-alert file never sits in memory as text or as objects.
 * An alert without endsAt fires for `resolveTimeoutMinutes` from its startsAt, as in Alertmanager.
 */
export async function readAlerts(
  file: string,
  onAlert: (alert: Alert) => void,
  resolveTimeoutMinutes = DEFAULT_RESOLVE_TIMEOUT_MINUTES,
): Promise<void> {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(file).isDirectory();
  } catch (error) {
    throw unreadable(file, (error as NodeJS.ErrnoException).code);
  }
  if (isDirectory) throw unreadable(file, 'EISDIR');
  const count = { bytes: 0 };
  const reader = new AlertListReader(onAlert, () => count.bytes, resolveTimeoutMinutes);
  const sink = new Writable({
    objectMode: true,
    write(token: Token, _encoding, done) {
      try {
        reader.push(token);
        done();
      } catch (error) {
        done(error as Error);
      }
    },
  });
  // Only whole values are needed; streamed chunks of strings and numbers would triple the tokens.
  const parser = new Parser({ streamValues: false });
  try {
    await pipeline(
      createReadStream(file),
      byteLimit(() => reader, file, count),
      parser,
      sink,
    );
    reader.end();
  } catch (error) {
    if (error instanceof InputError) throw inFile(file, error);
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== undefined) throw unreadable(file, code);
    throw new InputError(`invalid JSON: ${(error as Error).message}`, file);
  }
}
