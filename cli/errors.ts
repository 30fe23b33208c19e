// CLI errors: a UserError is printed as one line (no stack trace) and sets the exit code.
export const EXIT_RUNTIME = 1;
export const EXIT_USAGE = 2;

export class UserError extends Error {
  override name = 'UserError';
  /** 2 = bad usage (unknown command/flag, bad flag value), 1 = the command could not do its job. */
  constructor(message: string, readonly exitCode: number = EXIT_RUNTIME) {
    super(message);
  }
}

export const usageError = (message: string) => new UserError(message, EXIT_USAGE);
