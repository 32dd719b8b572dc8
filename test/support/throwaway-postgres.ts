import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort } from './api-process';

/**
 * A PostgreSQL cluster of a test's own (initdb into a directory under os.tmpdir(), its own port), for
 * fault tests that stop, kill or freeze the server: the shared server at 5432 is never touched. The
 * binaries are the ones `pg_config --bindir` names. PostgreSQL refuses to run as root: as root, the
 * cluster belongs to, and runs as, the `postgres` system user (created if missing).
 */
export interface ThrowawayPostgres {
  /** postgres://postgres@127.0.0.1:<port>/postgres (trust authentication). */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** Starts the server and waits until it accepts connections (retrying while a killed one's processes linger). */
  start(): Promise<void>;
  /** `pg_ctl stop -m fast` (sessions terminated: 57P01) or `-m immediate` (no shutdown checkpoint: crash recovery at next start). */
  stop(mode: 'fast' | 'immediate'): Promise<void>;
  /** kill -9 of the postmaster: its backends notice and exit; the next start recovers from the WAL. */
  killPostmaster(): Promise<void>;
  /** SIGSTOP to the postmaster and every backend: connections stay open and nothing answers. */
  freeze(): void;
  /** SIGCONT to them all. */
  thaw(): void;
  /** Runs one SQL statement on a connection of its own (bounded), for assertions on what is stored. */
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  /** Stops the server (immediate) and removes its directory. */
  destroy(): Promise<void>;
}

/** The directory of initdb/pg_ctl, or undefined (with why) when PostgreSQL's server binaries are not installed. */
export function postgresBinaries(): { bindir?: string; why?: string } {
  const config = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  const candidates = [config.status === 0 ? config.stdout.trim() : undefined];
  // pg_config can come from libpq-dev alone (client only): the server binaries may be in a versioned directory.
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  if (which.status === 0) candidates.push(join(which.stdout.trim(), '..'));
  for (const bindir of candidates) {
    if (bindir && existsSync(join(bindir, 'initdb')) && existsSync(join(bindir, 'pg_ctl'))) return { bindir };
  }
  return { why: `initdb and pg_ctl not found (pg_config --bindir: ${config.status === 0 ? config.stdout.trim() : 'pg_config missing'})` };
}

/**
 * `describe` when initdb and pg_ctl are installed. Otherwise: in CI (CI=true) a suite that fails, since
 * the fault tests are required there; elsewhere a skipped suite and one line saying why.
 */
export function describeWithThrowawayPostgres(name: string, body: () => void): void {
  const { bindir, why } = postgresBinaries();
  if (bindir) {
    describe(name, body);
  } else if (process.env.CI === 'true') {
    describe(name, () => {
      it('needs initdb/pg_ctl (required in CI)', () => {
        throw new Error(`A throwaway PostgreSQL cluster cannot be made: ${why}`);
      });
    });
  } else {
    process.stdout.write(`${name} skipped: ${why}\n`);
    describe.skip(name, body);
  }
}

const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const OWNER = 'postgres';

/** Runs a PostgreSQL binary, as the postgres user when we are root. */
function run(
  bindir: string,
  program: string,
  args: string[],
  options: { allowFailure?: boolean } = {},
): { status: number | null; output: string } {
  const [command, commandArgs] = asRoot ? ['runuser', ['-u', OWNER, '--', join(bindir, program), ...args]] : [join(bindir, program), args];
  const result = spawnSync(command, commandArgs, { encoding: 'utf8', timeout: 120_000 });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}`;
  if (result.status !== 0 && !options.allowFailure) throw new Error(`${program} ${args.join(' ')} failed (${result.status}):\n${output}`);
  return { status: result.status, output };
}

function ensureOwner(): { uid: number; gid: number } | undefined {
  if (!asRoot) return undefined;
  if (spawnSync('id', ['-u', OWNER]).status !== 0)
    execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', OWNER]);
  const uid = Number(execFileSync('id', ['-u', OWNER], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', OWNER], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

export async function startThrowawayPostgres(label = 'faults'): Promise<ThrowawayPostgres> {
  const { bindir, why } = postgresBinaries();
  if (!bindir) throw new Error(why);
  const owner = ensureOwner();
  const root = mkdtempSync(join(tmpdir(), `pg-${label}-`));
  if (owner) chownSync(root, owner.uid, owner.gid);
  const dataDir = join(root, 'data');
  run(bindir, 'initdb', ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync', '--no-instructions']);
  const port = await freePort();
  // Its own port, loopback only, its socket in its own directory; small, since it serves one test.
  const serverOptions = `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c max_connections=60 -c shared_buffers=16MB`;
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const postmasterPid = () => Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  /** The postmaster and its children (the backends, checkpointer, walwriter…). */
  const serverPids = (): number[] => {
    const pid = postmasterPid();
    const children = spawnSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
      .stdout.split('\n')
      .map(Number)
      .filter((n) => n > 0);
    return [pid, ...children];
  };

  const cluster: ThrowawayPostgres = {
    url,
    port,
    dataDir,
    async start() {
      const deadline = Date.now() + 60_000;
      for (;;) {
        // -w: pg_ctl waits until the server accepts connections (or has failed to start).
        const { status, output } = run(
          bindir,
          'pg_ctl',
          ['start', '-w', '-t', '30', '-D', dataDir, '-l', join(root, 'server.log'), '-o', serverOptions],
          { allowFailure: true },
        );
        if (status === 0) return;
        // After a kill -9, orphaned backends can hold the old shared memory for a moment: try again.
        if (Date.now() > deadline) throw new Error(`pg_ctl start failed:\n${output}\n${readLog(root)}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    },
    async stop(mode) {
      run(bindir, 'pg_ctl', ['stop', '-w', '-t', '60', '-m', mode, '-D', dataDir]);
    },
    async killPostmaster() {
      const pid = postmasterPid();
      process.kill(pid, 'SIGKILL');
      const deadline = Date.now() + 10_000;
      while (isAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    },
    freeze() {
      for (const pid of serverPids()) process.kill(pid, 'SIGSTOP');
    },
    thaw() {
      for (const pid of serverPids().reverse()) process.kill(pid, 'SIGCONT');
    },
    async query<R>(sql: string, params: unknown[] = []) {
      const client = new Client({ connectionString: url, connectionTimeoutMillis: 5_000, query_timeout: 30_000 });
      client.on('error', () => undefined);
      await client.connect();
      try {
        return (await client.query(sql, params)).rows as R[];
      } finally {
        await client.end().catch(() => undefined);
      }
    },
    async destroy() {
      try {
        if (existsSync(join(dataDir, 'postmaster.pid'))) {
          try {
            cluster.thaw(); // a frozen server cannot even be stopped
          } catch {
            // already gone
          }
          run(bindir, 'pg_ctl', ['stop', '-w', '-t', '30', '-m', 'immediate', '-D', dataDir], { allowFailure: true });
        }
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  };
  await cluster.start();
  return cluster;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function readLog(root: string): string {
  try {
    return readFileSync(join(root, 'server.log'), 'utf8').split('\n').slice(-30).join('\n');
  } catch {
    return '';
  }
}
