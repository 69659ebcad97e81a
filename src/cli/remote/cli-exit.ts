/**
 * Exit codes scripts can tell apart: a run that failed (1), a usage error (2: bad flags, a file
 * that does not parse, a 4xx the caller can fix), a server that cannot be reached (3).
 */
export const exitCodes = { runFailed: 1, usage: 2, unreachable: 3 } as const;

/** A failure the CLI reports with a message and a distinct exit code, never a stack trace. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

export const usageError = (message: string) => new CliError(message, exitCodes.usage);
