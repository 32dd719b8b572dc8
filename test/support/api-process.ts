import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { signToken } from '@lib/contract';

const ROOT = resolve(__dirname, '..', '..');
export const API_PROCESS_SECRET = 'spawned-api-secret-spawned-api-secret';

/**
 * The API as a real process (apps/api/src/main.ts, what `npm start` runs), for fault tests that kill it
 * with SIGKILL. It runs through ts-node rather than a build of dist/, so that suites running in parallel
 * never race on one build directory.
 */
export interface ApiProcess {
  /** Known once the process listens (after waitHealthy): it binds port 0 and says which port it got. */
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code or signal once the process has ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** A token the process accepts. */
  token(role: 'admin' | 'auditor' | 'consumer' | 'commune', extra?: { sub?: string; insee?: string; services?: unknown }): string;
  /** Waits until GET /api/health answers 200, or throws (with the output) if the process ends or `timeoutMs` passes. */
  waitHealthy(timeoutMs?: number): Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (asked of the kernel, then released). */
export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

export function spawnApi(env: Record<string, string>, options: { port?: number } = {}): Promise<ApiProcess> {
  // Port 0 unless asked: the system picks a free port when the server binds, so no other process can
  // take it between a choice and the bind (a port probed free and released first can be).
  const child = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', 'apps/api/src/main.ts'],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        JWT_SECRET: API_PROCESS_SECRET,
        LIFECYCLE_SCHEDULE: 'off',
        LOG_LEVEL: 'log',
        ...env,
        PORT: String(options.port ?? 0),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once('exit', (code, signal) => done({ code, signal })),
  );
  let listening: number | undefined;
  const port = (): number => {
    listening ??= Number(/Listening on http:\/\/[^\s/]*:(\d+)\//.exec(output)?.[1]) || undefined;
    if (listening === undefined) throw new Error(`the API process has not said where it listens yet:\n${output}`);
    return listening;
  };
  return Promise.resolve({
    get url() {
      return `http://127.0.0.1:${port()}`;
    },
    get port() {
      return port();
    },
    child,
    output: () => output,
    exited,
    token: (role, extra = {}) =>
      signToken(API_PROCESS_SECRET, {
        sub: extra.sub ?? `spawned-${role}`,
        role,
        ...(extra.insee ? { insee: extra.insee } : {}),
        ...(extra.services !== undefined ? { services: extra.services as string[] } : {}),
      }),
    async waitHealthy(timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (child.exitCode !== null || child.signalCode !== null)
          throw new Error(`the API process ended before it was healthy:\n${output}`);
        if (!/Listening on /.test(output)) {
          await new Promise((r) => setTimeout(r, 100));
          continue;
        }
        const ok = await fetch(`http://127.0.0.1:${port()}/api/health`, { signal: AbortSignal.timeout(2_000) }).then(
          (response) => response.status === 200,
          () => false,
        );
        if (ok) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`the API process was not healthy within ${timeoutMs} ms:\n${output}`);
    },
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  });
}
