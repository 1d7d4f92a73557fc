// Engine API errors as one readable line. dockerode rejects with { statusCode, json: { message } }
// for HTTP errors and plain Errors (ECONNREFUSED, AbortError) otherwise.

export function dockerStatusCode(err: unknown): number | null {
  const code = typeof err === 'object' && err !== null ? (err as { statusCode?: unknown }).statusCode : undefined;
  return typeof code === 'number' ? code : null;
}

/** The daemon's own message when there is one ("Cannot update container …"), else the error's. */
export function dockerErrorMessage(err: unknown): string {
  if (typeof err !== 'object' || err === null) return String(err);
  const { json, message, reason } = err as { json?: unknown; message?: unknown; reason?: unknown };
  const apiMessage = (json as { message?: unknown } | null | undefined)?.message;
  const text = typeof apiMessage === 'string' ? apiMessage : typeof message === 'string' && message !== '' ? message : typeof reason === 'string' ? reason : String(err);
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 300 ? `${line.slice(0, 299)}…` : line;
}

/** "HTTP 500: message" for the summary of a failed call. */
export function describeDockerError(err: unknown): string {
  const status = dockerStatusCode(err);
  return status === null ? dockerErrorMessage(err) : `HTTP ${status}: ${dockerErrorMessage(err)}`;
}
