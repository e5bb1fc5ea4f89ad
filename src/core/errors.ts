/** An error's message, for a log line. */
export const errText = (e: unknown): string => String((e as Error)?.message ?? e);

/** A refusal or a bad input: `message` is shown to the user as is (one Chinese sentence). */
export class UserError extends Error {
  constructor(
    message: string,
    /** true: prepend the command's usage line (bad input); false: a plain refusal */
    readonly showUsage = false,
  ) {
    super(message);
    this.name = "UserError";
  }
}
