import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { signToken } from '@lib/contract';
import { generateSigningKeyPem } from '@lib/event-store/integrity/tree-head';

const ROOT = resolve(__dirname, '..', '..');
const MAIN = resolve(ROOT, 'dist', 'apps', 'api', 'src', 'main.js');
const SECRET = 'national-bench-secret-national-bench-secret';

/** The API as production runs it: the built dist/ (`npm run build`), plain node, no ts-node. */
export interface BuiltApi {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly url: string;
  /** Spawn → "Listening on" in its output. */
  readonly startMs: number;
  token(role: 'admin' | 'auditor' | 'consumer'): string;
  output(): string;
  stop(): Promise<void>;
}

/** Builds dist/apps/api (nest build) unless `reuse` and a build is there; returns the time it took. */
export function buildApi(reuse: boolean): number {
  if (reuse && existsSync(MAIN)) return 0;
  const started = performance.now();
  const built = spawnSync('npx', ['nest', 'build', 'api'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (built.status !== 0) throw new Error(`nest build api failed:\n${built.stdout}${built.stderr}`);
  return performance.now() - started;
}

const BENCH_SIGNING_KEY = generateSigningKeyPem();

/** Spawns the built API on port 0 with `env` (README, Configuration) and resolves once it listens. */
export async function startBuiltApi(env: Record<string, string>, timeoutMs = 120_000): Promise<BuiltApi> {
  const started = performance.now();
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    // COMMUNE_CHECK: the benchmarks sign thousands of made-up communes, more than the Métropole has (docs/communes.md).
    env: {
      ...process.env,
      JWT_SECRET: SECRET,
      LIFECYCLE_SCHEDULE: 'off',
      LOG_LEVEL: 'log',
      NODE_ENV: 'production',
      COMMUNE_CHECK: 'synthetic',
      // Production refuses to start without a signing key for the tree heads (docs/verifiable-log.md): one per run.
      AUDIT_SIGNING_KEY: BENCH_SIGNING_KEY,
      ...env,
      PORT: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const port = await new Promise<number>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`the API did not listen within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const look = () => {
      const found = /Listening on http:\/\/[^\s/]*:(\d+)\//.exec(output);
      if (found) {
        clearTimeout(timer);
        done(Number(found[1]));
      }
    };
    child.stdout.on('data', look);
    child.stderr.on('data', look);
    child.once('exit', (code) => fail(new Error(`the API exited (${code}) before it listened:\n${output}`)));
  });
  const startMs = performance.now() - started;
  return {
    child,
    pid: child.pid!,
    url: `http://127.0.0.1:${port}`,
    startMs,
    token: (role) => signToken(SECRET, { sub: `bench-${role}`, role }),
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Resolves once GET /api/health/ready answers 200 (every projection at the head); the time it took. */
export async function waitReady(url: string, timeoutMs: number): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    const status = await fetch(`${url}/api/health/ready`, { signal: AbortSignal.timeout(10_000) }).then(
      (response) => response.status,
      () => 0,
    );
    if (status === 200) return performance.now() - started;
    await new Promise((done) => setTimeout(done, 250));
  }
  throw new Error(`projections not at the head within ${timeoutMs} ms`);
}
