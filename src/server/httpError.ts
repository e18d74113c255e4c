// An HTTP refusal: the status and the one-line reason the client gets as `{"error": ...}`.
export class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}
