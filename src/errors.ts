/** The one error type of Rapport. Services throw it; the HTTP layer maps `code` to a status; the CLI prints it. */
export const errorStatus = {
  bad_request: 400,
  validation_failed: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  idempotency_conflict: 422,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  setup_required: 409,
  // IMAP mailbox of an e-mail channel: the settings reach no mailbox (POST /channels/{id}/imap/test and /poll).
  imap_auth_failed: 422,
  imap_unreachable: 422,
  imap_tls_failed: 422,
  imap_mailbox_missing: 422,
  imap_failed: 422,
  internal: 500,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof errorStatus;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.details = details ?? null;
  }

  get status(): number {
    return errorStatus[this.code];
  }

  static notFound(what: string, id?: string): AppError {
    return new AppError('not_found', id ? `${what} ${id} was not found` : `${what} was not found`);
  }

  static forbidden(permission: string): AppError {
    return new AppError('forbidden', `This action needs the "${permission}" permission`, { permission });
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}
