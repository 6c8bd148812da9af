/**
 * Bad input is the user's to fix, so it is reported as one line naming the file and the field,
 * never as a stack trace. Anything thrown that is not an InputError is a bug in the engine.
 */
export class InputError extends Error {
  constructor(
    message: string,
    /** The file the bad input came from, when there is one (a scenario, a series, a plays module). */
    readonly file?: string,
    /** The field inside it, as a dotted path (`slo.objective`, `releases[2].name`), or a flag (`--to`). */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'InputError';
  }

  /** `runbook: scenarios/x.yaml: slo.objective: must be between 0 and 1` */
  format(): string {
    // One line whatever the message quotes (a parser's excerpt of the file can hold newlines).
    const line = ['runbook', this.file, this.field, this.message].filter(Boolean).join(': ');
    return line.replace(/\s*[\r\n]+\s*/g, ' ');
  }
}

/** Re-throws any error as an InputError about `file`, keeping an existing field. */
export function inFile(file: string, error: unknown): InputError {
  if (error instanceof InputError) return new InputError(error.message, error.file ?? file, error.field);
  return new InputError(error instanceof Error ? error.message : String(error), file);
}
