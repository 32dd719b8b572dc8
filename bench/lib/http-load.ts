/**
 * HTTP load for the benchmarks (bench/commands.bench.ts, bench/national.bench.ts): a closed loop of
 * keep-alive connections (`sustained`), an open loop at a fixed rate (`paced`), and the lag between a
 * command's answer and its effect in a read model (`readYourWritesLag`). Plain node:http with its own
 * keep-alive agent per run: no client library between the figure and the socket.
 */
import { Agent, request as httpRequest } from 'node:http';
import { percentile } from './stats';

export interface HttpRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface LoadFigures {
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Answers that were not 2xx, and requests that failed on the socket. */
  errors: number;
}

interface Answer {
  status: number;
  body: string;
}

/** One request over `agent` (keep-alive: its sockets are the "connections"). A failure answers status 0. */
function send(agent: Agent, baseUrl: string, { method, path, headers = {}, body }: HttpRequest): Promise<Answer> {
  const url = new URL(path, baseUrl);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((done) => {
    const req = httpRequest(
      url,
      {
        method,
        agent,
        headers: {
          ...headers,
          ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
        },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => done({ status: response.statusCode ?? 0, body: text }));
        response.on('error', () => done({ status: 0, body: '' }));
      },
    );
    req.on('error', () => done({ status: 0, body: '' }));
    req.end(payload);
  });
}

/** Rate and latency percentiles of the 2xx answers; the others are counted as errors. */
function figures(latencies: number[], errors: number, ms: number): LoadFigures {
  latencies.sort((a, b) => a - b);
  return { perSecond: (latencies.length / ms) * 1000, p50Ms: percentile(latencies, 0.5), p99Ms: percentile(latencies, 0.99), errors };
}

/** Closed loop: `connections` clients, each sending its next request once the last is answered, for `durationMs`. */
export async function sustained(
  baseUrl: string,
  request: () => HttpRequest,
  { connections, durationMs }: { connections: number; durationMs: number },
): Promise<LoadFigures> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  try {
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (performance.now() < deadline) {
          const sent = performance.now();
          const answer = await send(agent, baseUrl, request());
          if (answer.status >= 200 && answer.status < 300) latencies.push(performance.now() - sent);
          else {
            errors++;
            if (process.env.BENCH_DEBUG && errors < 3) console.error(answer.status, answer.body);
          }
        }
      }),
    );
    return figures(latencies, errors, performance.now() - started);
  } finally {
    agent.destroy();
  }
}

/**
 * Open loop: a request every 1/ratePerSecond s whatever the answers, for `durationMs`. A latency runs
 * from the instant the request was due, so a server that falls behind is not excused by the client
 * waiting for it (coordinated omission).
 */
export async function paced(
  baseUrl: string,
  request: () => HttpRequest,
  { ratePerSecond, durationMs }: { ratePerSecond: number; durationMs: number },
): Promise<LoadFigures> {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  const total = Math.max(1, Math.floor((ratePerSecond * durationMs) / 1000));
  try {
    for (let i = 0; i < total; i++) {
      const due = started + (i * 1000) / ratePerSecond;
      await until(due);
      inFlight.push(
        send(agent, baseUrl, request()).then((answer) => {
          if (answer.status >= 200 && answer.status < 300) latencies.push(performance.now() - due);
          else errors++;
        }),
      );
    }
    await Promise.all(inFlight);
    return figures(latencies, errors, performance.now() - started);
  } finally {
    agent.destroy();
  }
}

/**
 * Read-your-writes at a steady rate: every 1/ratePerSecond s a convention is signed (with a Toodego
 * annex from 2026-01-01) for the next of `communes` (none may have one); from its 201, the commune's
 * entitlements on 2026-03-01 are read until Toodego shows (every 2 ms for the first 50 ms, then every
 * 10 ms): the lag a back-office user sees between "saved" and the screen that shows it. At most one
 * sample per commune; a refused signature or one not visible within RYW_GIVE_UP_MS is counted apart.
 */
export async function readYourWritesLag(
  baseUrl: string,
  token: string,
  { ratePerSecond, durationMs, communes }: { ratePerSecond: number; durationMs: number; communes: readonly string[] },
): Promise<{ p50Ms: number; p99Ms: number; samples: number; refused: number; invisible: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const headers = { authorization: `Bearer ${token}` };
  const lags: number[] = [];
  const refusals: Record<number, number> = {};
  let invisible = 0;
  const started = performance.now();
  const total = Math.min(communes.length, Math.floor((ratePerSecond * durationMs) / 1000));
  const inFlight: Promise<void>[] = [];
  try {
    for (let i = 0; i < total; i++) {
      await until(started + (i * 1000) / ratePerSecond);
      const insee = communes[i];
      inFlight.push(
        (async () => {
          const signed = await send(agent, baseUrl, {
            method: 'POST',
            path: '/api/conventions',
            headers,
            body: {
              communeInsee: insee,
              communeName: `Commune ${insee}`,
              signedOn: '2025-12-01',
              effectiveFrom: '2026-01-01',
              annexes: [{ serviceId: 'toodego', offerId: 'partenaire', effectiveFrom: '2026-01-01' }],
            },
          });
          if (signed.status !== 201) {
            refusals[signed.status] = (refusals[signed.status] ?? 0) + 1;
            return;
          }
          const answered = performance.now();
          for (;;) {
            const read = await send(agent, baseUrl, { method: 'GET', path: `/api/communes/${insee}/entitlements?on=2026-03-01`, headers });
            if (read.status === 200 && read.body.includes('"toodego"')) break;
            if (performance.now() - answered > RYW_GIVE_UP_MS) {
              invisible++;
              return;
            }
            await sleep(performance.now() - answered < 50 ? 2 : 10);
          }
          lags.push(performance.now() - answered);
        })(),
      );
    }
    await Promise.all(inFlight);
  } finally {
    agent.destroy();
  }
  const refused = Object.values(refusals).reduce((sum, count) => sum + count, 0);
  if (refused + invisible > 0)
    console.log(
      `  read-your-writes: of ${total} signatures, refused ${JSON.stringify(refusals)}; not visible within ${RYW_GIVE_UP_MS} ms: ${invisible}`,
    );
  lags.sort((a, b) => a - b);
  return { p50Ms: percentile(lags, 0.5), p99Ms: percentile(lags, 0.99), samples: lags.length, refused, invisible };
}

/** A signature whose entitlement is not visible after this long is counted apart, not waited for. */
export const RYW_GIVE_UP_MS = 30_000;

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

async function until(at: number): Promise<void> {
  const wait = at - performance.now();
  if (wait > 0) await sleep(wait);
}
