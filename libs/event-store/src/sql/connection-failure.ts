/**
 * Whether an error means "the database cannot answer right now" (down, restarting, unreachable, hung,
 * or a bound of ours was hit) rather than "this statement is wrong": the API answers the first 503 with
 * Retry-After, and the pool throws away a connection that failed that way instead of reusing it.
 */
export function isConnectionFailure(error: unknown): boolean {
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 5; depth++) {
    const { code, message } = current as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (TRANSIENT_CODES.has(code) || code.startsWith('08'))) return true;
    // pg reports a lost or timed-out connection with a plain Error and no code: only its message tells.
    if (code === undefined && typeof message === 'string' && NO_CODE_MESSAGES.some((known) => message.startsWith(known))) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

const TRANSIENT_CODES = new Set([
  // The socket (Node): refused, reset, broken, timed out, host unreachable or unresolvable for now.
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  // SQLSTATE: shutdown (admin, crash, cannot connect now), too many connections, out of resources.
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '53000',
  '53100',
  '53200',
  // SQLSTATE: our bounds (DATABASE_*_TIMEOUT_MS): statement timeout, lock timeout, idle in transaction.
  '57014',
  '55P03',
  '25P03',
]);

/** pg's own messages (pg 8, pg-pool 3) for a connection lost, never made, or a query that got no answer in time. */
const NO_CODE_MESSAGES = [
  'Connection terminated',
  'timeout expired',
  'timeout exceeded when trying to connect',
  'Query read timeout',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
];
