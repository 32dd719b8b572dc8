/**
 * HTTP load for the benchmarks (bench/commands.bench.ts, bench/national.bench.ts): a closed loop of
 * keep-alive connections (`sustained`), an open loop at a fixed rate (`paced`), and the lag between a
 * command's answer and its effect in a read model (`readYourWritesLag`). Plain node:http with its own
 * keep-alive agent per run: no client library between the figure and the socket.
 */
import { Agent, request as httpRequest } from 'node:http';

export interface LoadRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface LoadResult {
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Answers with a status ≥ 400, and requests that failed on the socket. */
  errors: number;
}

export interface LagResult {
  p50Ms: number;
  p99Ms: number;
  samples: number;
}

interface Answer {
  status: number;
  body: string;
}

function send(agent: Agent, baseUrl: string, request: LoadRequest): Promise<Answer> {
  const url = new URL(request.path, baseUrl);
  const payload = request.body === undefined ? undefined : JSON.stringify(request.body);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      url,
      {
        agent,
        method: request.method,
        headers: {
          ...(payload === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) }),
          ...request.headers,
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(payload);
  });
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function summary(latencies: number[], completed: number, elapsedMs: number, errors: number): LoadResult {
  latencies.sort((a, b) => a - b);
  return { perSecond: (completed * 1000) / elapsedMs, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), errors };
}

/** `connections` clients, each sending its next request as soon as it has the answer, for `durationMs`. */
export async function sustained(
  baseUrl: string,
  request: () => LoadRequest,
  options: { connections: number; durationMs: number },
): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const deadline = started + options.durationMs;
  try {
    await Promise.all(
      Array.from({ length: options.connections }, async () => {
        while (performance.now() < deadline) {
          const sent = performance.now();
          const answer = await send(agent, baseUrl, request()).catch(() => undefined);
          latencies.push(performance.now() - sent);
          if (!answer || answer.status >= 400) {
            errors++;
            if (process.env.BENCH_DEBUG && errors < 3) console.error(answer?.status, answer?.body);
          }
        }
      }),
    );
    return summary(latencies, latencies.length - errors, performance.now() - started, errors);
  } finally {
    agent.destroy();
  }
}

/**
 * Requests sent at `ratePerSecond` whatever the answers (an open loop), for `durationMs`. A latency runs
 * from the instant the request was due, so a server that falls behind is not excused by the client
 * waiting for it (coordinated omission).
 */
export async function paced(
  baseUrl: string,
  request: () => LoadRequest,
  options: { ratePerSecond: number; durationMs: number },
): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const latencies: number[] = [];
  let errors = 0;
  const interval = 1000 / options.ratePerSecond;
  const total = Math.max(1, Math.round((options.durationMs / 1000) * options.ratePerSecond));
  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  try {
    for (let i = 0; i < total; i++) {
      const due = started + i * interval;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      inFlight.push(
        send(agent, baseUrl, request()).then(
          (answer) => {
            latencies.push(performance.now() - due);
            if (answer.status >= 400) errors++;
          },
          () => {
            latencies.push(performance.now() - due);
            errors++;
          },
        ),
      );
    }
    await Promise.all(inFlight);
    return summary(latencies, latencies.length - errors, performance.now() - started, errors);
  } finally {
    agent.destroy();
  }
}

/** A random INSEE code of the form 10000–99999. */
function randomInsee(): string {
  return String(10000 + Math.floor(Math.random() * 90000));
}

/**
 * Commands at `ratePerSecond` for `durationMs`, each followed, from its answer on, by reads of the
 * commune's entitlements every 2 ms until they show what the command did: the lag a back-office user
 * sees between "saved" and the screen that shows it. `communes` new communes (INSEE codes 10000–99999
 * not used by the run's store, given as a count: they are picked from a random offset); the first
 * command for each signs a convention with the toodego annex, the next ones switch its offer from a
 * day later each time; a code whose signature is refused (a commune of the store's own, R-CONV-1) is
 * drawn again. `token` is an admin's.
 */
export async function readYourWritesLag(
  baseUrl: string,
  token: string,
  options: { ratePerSecond: number; durationMs: number; communes: number },
): Promise<LagResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const headers = { Authorization: `Bearer ${token}` };
  const communes = Array.from({ length: options.communes }, randomInsee);
  const runId = Math.random().toString(36).slice(2);
  const commandsOf = new Array<number>(options.communes).fill(0);
  const lags: number[] = [];
  const interval = 1000 / options.ratePerSecond;
  const total = Math.max(1, Math.round((options.durationMs / 1000) * options.ratePerSecond));
  const started = performance.now();
  const inFlight: Promise<void>[] = [];

  const sample = async (index: number): Promise<void> => {
    let insee = communes[index];
    const k = commandsOf[index]++;
    const offerId = k % 2 === 0 ? 'partenaire' : 'connecte';
    const effectiveFrom = new Date(Date.UTC(2026, 1, 1 + k)).toISOString().slice(0, 10);
    const command: LoadRequest =
      k === 0
        ? {
            method: 'POST',
            path: '/api/conventions',
            headers,
            body: {
              communeInsee: insee,
              communeName: `Commune ${insee}`,
              signedOn: '2026-01-10',
              effectiveFrom,
              annexes: [{ serviceId: 'toodego', offerId, effectiveFrom }],
            },
          }
        : { method: 'POST', path: `/api/conventions/${insee}-1/annexes/toodego/offer-change`, headers, body: { offerId, effectiveFrom } };
    // With a key, so that a command answered 503 (the store could not answer completely) is sent again safely.
    command.headers = { ...headers, 'Idempotency-Key': `lag-${runId}-${index}-${k}` };
    let answer = await send(agent, baseUrl, command);
    for (let again = 0; answer.status === 503 && again < 20; again++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      answer = await send(agent, baseUrl, command);
    }
    for (let draw = 0; k === 0 && (answer.status === 409 || answer.status === 422) && draw < 20; draw++) {
      insee = communes[index] = randomInsee();
      const body = { ...(command.body as Record<string, unknown>), communeInsee: insee, communeName: `Commune ${insee}` };
      answer = await send(agent, baseUrl, {
        ...command,
        headers: { ...headers, 'Idempotency-Key': `lag-${runId}-${index}-${k}-${draw}` },
        body,
      });
    }
    if (answer.status >= 300) throw new Error(`${command.path} answered ${answer.status}: ${answer.body}`);
    const answered = performance.now();
    const read: LoadRequest = { method: 'GET', path: `/api/communes/${insee}/entitlements?on=${effectiveFrom}`, headers };
    for (;;) {
      const seen = await send(agent, baseUrl, read);
      if (seen.status === 503) continue;
      if (seen.status !== 200) throw new Error(`${read.path} answered ${seen.status}: ${seen.body}`);
      // On the command's date the offer before it was the other one: the offer alone tells the command is seen.
      const entitlements = JSON.parse(seen.body) as Array<{ serviceId: string; offerId: string }>;
      if (entitlements.some((e) => e.serviceId === 'toodego' && e.offerId === offerId)) break;
      if (performance.now() - answered > 120_000) throw new Error(`${insee}: the entitlement was not visible 120 s after the answer`);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    lags.push(performance.now() - answered);
  };

  try {
    for (let i = 0; i < total; i++) {
      const wait = started + i * interval - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      // One command at a time per commune: the next one for it waits for the previous one's visibility.
      const index = i % options.communes;
      const previous = inFlight[i - options.communes] ?? Promise.resolve();
      inFlight.push(previous.then(() => sample(index)));
    }
    await Promise.all(inFlight);
    lags.sort((a, b) => a - b);
    return { p50Ms: percentile(lags, 50), p99Ms: percentile(lags, 99), samples: lags.length };
  } finally {
    agent.destroy();
  }
}
