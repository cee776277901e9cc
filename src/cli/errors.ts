/** The command line was wrong: exit 2 with the reason and a pointer to the help. */
export class UsageError extends Error {}

/** Local configuration is missing or wrong (profile, credentials, endpoint, input file): exit 2, nothing was sent. */
export class CliConfigError extends Error {}

/** The server answered with an error: exit 1, naming the server's code. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The server could not be reached or answered something unreadable: exit 1. */
export class TransportError extends Error {}
