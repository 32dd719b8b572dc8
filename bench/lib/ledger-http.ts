import { request } from 'node:http';

export interface LedgerMeasure {
  readonly status: number;
  /** From the request to the response's headers. */
  readonly headersMs: number;
  /** From the request to the body's first bytes. */
  readonly ttfbMs: number;
  /** From the request to the body's end. */
  readonly totalMs: number;
  readonly bytes: number;
  /** False when the connection ended before the body did (a failure mid-stream). */
  readonly complete: boolean;
}

/**
 * One GET of a ledger (`/api/ledgers/{year}`, or a commune's with `communeInsee`), timed; the body is
 * counted and dropped, never held. The caller reads the API process's RSS.
 */
export function measureYearLedger(
  baseUrl: string,
  token: string,
  year: number,
  format: 'json' | 'csv',
  options: { knownAt?: string; communeInsee?: string } = {},
): Promise<LedgerMeasure> {
  const path = options.communeInsee ? `/api/communes/${options.communeInsee}/ledgers/${year}` : `/api/ledgers/${year}`;
  const url = new URL(path, baseUrl);
  if (options.knownAt) url.searchParams.set('knownAt', options.knownAt);
  return new Promise((done, fail) => {
    const start = process.hrtime.bigint();
    const since = () => Number(process.hrtime.bigint() - start) / 1e6;
    const req = request(
      url,
      { headers: { authorization: `Bearer ${token}`, accept: format === 'csv' ? 'text/csv' : 'application/json' } },
      (response) => {
        const headersMs = since();
        let ttfbMs = -1;
        let bytes = 0;
        response.on('data', (chunk: Buffer) => {
          if (ttfbMs < 0) ttfbMs = since();
          bytes += chunk.length;
        });
        const finish = (complete: boolean) =>
          done({ status: response.statusCode ?? 0, headersMs, ttfbMs: ttfbMs < 0 ? since() : ttfbMs, totalMs: since(), bytes, complete });
        response.on('end', () => finish(response.complete));
        response.on('error', () => finish(false));
      },
    );
    req.on('error', fail);
    req.end();
  });
}
