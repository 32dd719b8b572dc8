import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PgliteDatabase } from '../sql/pglite-database';
import { DataDirLockedError, LOCK_FILE, LockHolder, lockDataDir } from './data-dir-lock';

/** The data-directory lock on a real directory, with real processes as holders (alive, then dead). */
describe('the PGlite data-directory lock', () => {
  let dataDir: string;
  const children: ChildProcess[] = [];

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'data-dir-lock-'));
  });

  afterEach(() => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** A live process that is not this one. */
  async function liveProcess(): Promise<ChildProcess> {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    children.push(child);
    await new Promise((resolve) => child.once('spawn', resolve));
    return child;
  }

  function writeLock(holder: Partial<LockHolder>): void {
    const full: LockHolder = { pid: process.pid, host: hostname(), since: '2026-01-01T00:00:00.000Z', token: 'someone-else', ...holder };
    writeFileSync(join(dataDir, LOCK_FILE), JSON.stringify(full));
  }

  function lockedError(fn: () => unknown): DataDirLockedError {
    try {
      fn();
    } catch (error) {
      if (error instanceof DataDirLockedError) return error;
      throw error;
    }
    throw new Error('expected a DataDirLockedError, the lock was taken');
  }

  it('is refused to a second taker while held, naming the directory and the holder, and free again once released', () => {
    const first = lockDataDir(dataDir);
    const error = lockedError(() => lockDataDir(dataDir));
    expect(error.holder).toEqual(expect.objectContaining({ pid: process.pid, host: hostname(), since: first.holder.since }));
    expect(error.message).toContain(dataDir);
    expect(error.message).toContain(`pid ${process.pid} on host ${hostname()}, since ${first.holder.since}`);
    expect(error.message).not.toContain('\n');

    // Nor through another path to the same directory.
    const link = `${dataDir}-link`;
    symlinkSync(dataDir, link);
    try {
      expect(lockedError(() => lockDataDir(link)).holder?.token).toBe(first.holder.token);
    } finally {
      rmSync(link);
    }

    first.release();
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
    const second = lockDataDir(dataDir);
    second.release();
    // Nothing but the lock (now gone) was ever written beside PGlite's files.
    expect(readdirSync(dataDir)).toEqual([]);
  });

  it('holds while another live process on this host holds it', async () => {
    const holder = await liveProcess();
    writeLock({ pid: holder.pid });
    expect(lockedError(() => lockDataDir(dataDir)).holder?.pid).toBe(holder.pid);
  });

  it('is taken over when its holder is dead (killed with SIGKILL)', async () => {
    const holder = await liveProcess();
    const pid = holder.pid!;
    holder.kill('SIGKILL');
    await new Promise((resolve) => holder.once('exit', resolve));
    writeLock({ pid });
    const lock = lockDataDir(dataDir);
    expect(JSON.parse(readFileSync(join(dataDir, LOCK_FILE), 'utf8'))).toEqual(
      expect.objectContaining({ pid: process.pid, token: lock.holder.token }),
    );
    lock.release();
  });

  it("is taken over when its pid is this process's but the lock is not one it holds (a restarted container's pid 1)", () => {
    writeLock({ pid: process.pid, token: 'a-previous-life' });
    lockDataDir(dataDir).release();
  });

  it('is taken over when its pid is alive but belongs to a later process (start time differs: a reused pid)', async () => {
    if (!existsSync('/proc/self/stat')) return; // Linux only: elsewhere a reused pid holds (fail closed)
    const other = await liveProcess();
    writeLock({ pid: other.pid, startTicks: 1 });
    lockDataDir(dataDir).release();
  });

  it('holds when its holder is on another host (it cannot be checked from here)', () => {
    writeLock({ pid: 999_999_999, host: 'some-other-host' });
    expect(lockedError(() => lockDataDir(dataDir)).message).toContain('pid 999999999 on host some-other-host');
  });

  it('holds when the lock file cannot be read as a lock (fail closed)', () => {
    writeFileSync(join(dataDir, LOCK_FILE), 'not json');
    expect(lockedError(() => lockDataDir(dataDir)).message).toContain(`delete ${join(dataDir, LOCK_FILE)}`);
  });

  it('of several processes racing for one stale lock, exactly one takes it', async () => {
    const dead = await liveProcess();
    dead.kill('SIGKILL');
    await new Promise((resolve) => dead.once('exit', resolve));
    writeLock({ pid: dead.pid! });
    // Each waits for the same instant, tries, and a winner holds on long enough for the others to see it.
    const at = Date.now() + 4_000;
    const script = `const { lockDataDir } = require(${JSON.stringify(join(__dirname, 'data-dir-lock'))});
      while (Date.now() < ${at});
      try { lockDataDir(${JSON.stringify(dataDir)}); console.log('won'); setTimeout(() => {}, 2000); }
      catch (error) { console.log(error.name); }`;
    const outcomes = await Promise.all(
      [1, 2, 3, 4].map(
        () =>
          new Promise<string>((resolve) => {
            const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], {
              stdio: ['ignore', 'pipe', 'inherit'],
            });
            children.push(child);
            let out = '';
            child.stdout.on('data', (chunk) => (out += chunk));
            child.once('exit', () => resolve(out.trim()));
          }),
      ),
    );
    expect(outcomes.sort()).toEqual(['DataDirLockedError', 'DataDirLockedError', 'DataDirLockedError', 'won']);
  }, 60_000);

  it('a release removes only its own lock', () => {
    const lock = lockDataDir(dataDir);
    writeLock({ pid: 1, token: 'taken-by-hand' });
    lock.release();
    expect(JSON.parse(readFileSync(join(dataDir, LOCK_FILE), 'utf8')).token).toBe('taken-by-hand');
  });

  it('PgliteDatabase takes it at open and releases it at close; a second open is refused and the first keeps working', async () => {
    const db = await PgliteDatabase.open(dataDir);
    try {
      expect(existsSync(join(dataDir, LOCK_FILE))).toBe(true);
      await expect(PgliteDatabase.open(dataDir)).rejects.toBeInstanceOf(DataDirLockedError);
      await db.query('CREATE TABLE kept (n int)');
      await db.query('INSERT INTO kept VALUES (1)');
    } finally {
      await db.close();
    }
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
    const reopened = await PgliteDatabase.open(dataDir);
    try {
      expect((await reopened.query<{ n: number }>('SELECT n FROM kept')).rows).toEqual([{ n: 1 }]);
    } finally {
      await reopened.close();
    }
  }, 60_000);
});
