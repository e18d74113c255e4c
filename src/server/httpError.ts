// An HTTP refusal: the status and the one-line reason the client gets as `{"error": ...}`.
export class HttpError extends Error {
  readonly status: number;
  /** The body was not read to its end: close the connection rather than read the rest. */
  readonly closeConnection: boolean;
  constructor(status: number, message: string, options: { closeConnection?: boolean } = {}) {
    super(message);
    this.status = status;
    this.closeConnection = options.closeConnection ?? false;
  }
}
