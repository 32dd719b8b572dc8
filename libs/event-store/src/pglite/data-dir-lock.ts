import { randomUUID } from 'node:crypto';
import { linkSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';

/**
 * One process at a time per PGlite data directory. PGlite has no lock of its own: a second process
 * opening a directory another one is writing silently destroys acknowledged writes. So the
 * opener takes this lock before PGlite touches the directory, and releases it once PGlite is closed.
 *
 * The lock is a file in the directory holding the holder's pid, host and start time. It is stale when its
 * holder is gone: same host and that pid no longer alive (or alive but another process, see
 * `processStartTicks`), so a kill -9 never leaves it stuck. Why not proper-lockfile or an mtime: a lock
 * judged stale by age needs the holder to keep touching it, and a holder that is merely slow (a long
 * checkpoint, a paused VM) would lose it to a second opener — the very damage this prevents. Why not an
 * OS lock (flock): Node has none without a native dependency. A holder on another host cannot be checked,
 * so its lock holds (fail closed) until an operator deletes the file, as the error says.
 */
export const LOCK_FILE = 'conventions-cadre.lock';

export interface LockHolder {
  pid: number;
  host: string;
  /** ISO time the lock was taken. */
  since: string;
  /** Linux: the holder's start time in clock ticks since boot, to tell a reused pid from the holder. */
  startTicks?: number;
  /** Unique per taking: a release only ever removes its own lock. */
  token: string;
}

export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder | undefined,
    readonly lockFile: string,
  ) {
    super(
      `The data directory ${dataDir} is in use by another process (${holder ? `pid ${holder.pid} on host ${holder.host}, since ${holder.since}` : 'holder unreadable'}); ` +
        `refusing to open it. If that process is really gone, delete ${lockFile}`,
    );
    this.name = 'DataDirLockedError';
  }

  /**
   * A refusal to start, not a bug: loggers (Nest's, at a failed start, which then exits 1) print this
   * one line, without a stack trace or the fields.
   */
  [inspect.custom](): string {
    return `${this.name}: ${this.message}`;
  }
}

export interface DataDirLock {
  readonly holder: LockHolder;
  /** Removes the lock file if it is still this lock's; idempotent. */
  release(): void;
}

/**
 * The tokens of the locks this process holds: a second opener in this process is refused like any other
 * (by token, not by path, so that another spelling of the same directory is no way round it).
 */
const heldHere = new Set<string>();

/** How long a takeover guard may exist before it counts as left by a crash: a takeover takes microseconds. */
const GUARD_STALE_MS = 10_000;

/** Takes the lock of `dataDir` (an existing directory), or throws DataDirLockedError naming the holder. */
export function lockDataDir(dataDir: string): DataDirLock {
  const lockFile = join(dataDir, LOCK_FILE);
  const mine: LockHolder = {
    pid: process.pid,
    host: hostname(),
    since: new Date().toISOString(),
    startTicks: processStartTicks(process.pid),
    token: randomUUID(),
  };
  for (let attempt = 0; attempt < 5; attempt++) {
    if (createExclusive(lockFile, mine)) return held(lockFile, mine);
    const current = readHolder(lockFile);
    if (current === 'absent') continue; // released meanwhile: try again
    if (current === 'unreadable' || !isStale(current))
      throw new DataDirLockedError(dataDir, current === 'unreadable' ? undefined : current, lockFile);
    removeIfStill(lockFile, current);
  }
  // Several openers racing for one stale lock: another one won it.
  const winner = readHolder(lockFile);
  throw new DataDirLockedError(dataDir, typeof winner === 'object' ? winner : undefined, lockFile);
}

function held(lockFile: string, mine: LockHolder): DataDirLock {
  heldHere.add(mine.token);
  // A process that ends without closing (an uncaught error, process.exit) leaves no lock behind; only a
  // kill -9 does, and the pid check sees through that one.
  const onExit = () => release();
  process.once('exit', onExit);
  let released = false;
  function release(): void {
    if (released) return;
    released = true;
    process.off('exit', onExit);
    heldHere.delete(mine.token);
    const current = readHolder(lockFile);
    if (typeof current === 'object' && current.token === mine.token) unlinkQuietly(lockFile);
  }
  return { holder: mine, release };
}

/**
 * Creates the lock file with its whole content, or returns false if it exists. Written aside then
 * hard-linked into place: link() is atomic and fails if the name exists (like O_EXCL), and a reader never
 * sees a half-written file, which it could not tell from one left by a crash mid-write.
 */
function createExclusive(lockFile: string, holder: LockHolder): boolean {
  const aside = `${lockFile}.${holder.token}.tmp`;
  writeFileSync(aside, JSON.stringify(holder) + '\n', { flag: 'wx' });
  try {
    linkSync(aside, lockFile);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    unlinkQuietly(aside);
  }
}

function readHolder(lockFile: string): LockHolder | 'absent' | 'unreadable' {
  let text: string;
  try {
    text = readFileSync(lockFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw error;
  }
  try {
    const holder = JSON.parse(text) as LockHolder;
    return Number.isInteger(holder.pid) && typeof holder.host === 'string' && typeof holder.token === 'string' ? holder : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

function isStale(holder: LockHolder): boolean {
  if (holder.host !== hostname()) return false; // cannot be checked from here: fail closed
  if (holder.pid === process.pid) return !heldHere.has(holder.token); // not held now: this pid's previous life (a container's pid 1)
  if (!isAlive(holder.pid)) return true;
  // Alive, but maybe a later process that got the same pid: on Linux its start time tells.
  const ticks = processStartTicks(holder.pid);
  return holder.startTicks !== undefined && ticks !== undefined && ticks !== holder.startTicks;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // exists, another user's
  }
}

/** Field 22 of /proc/<pid>/stat (Linux); undefined elsewhere or if the process is gone. */
function processStartTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from its closing one.
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    return Number.isSafeInteger(ticks) ? ticks : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Removes a stale lock, unless it changed since it was judged: two openers may both judge the same
 * stale lock, and the slower must not then delete the lock the faster has just taken. The check and the
 * removal happen under a guard file, taken exclusively.
 */
function removeIfStill(lockFile: string, stale: LockHolder): void {
  const guard = `${lockFile}.takeover`;
  try {
    writeFileSync(guard, String(process.pid), { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // Another opener is taking over; or one crashed doing so, long ago.
    const age = ageMs(guard);
    if (age !== undefined && age > GUARD_STALE_MS) {
      // Renamed, not unlinked: of two openers clearing one old guard, only one can rename it.
      const cleared = `${guard}.${randomUUID()}`;
      try {
        renameSync(guard, cleared);
        unlinkQuietly(cleared);
      } catch {
        // the other one cleared it
      }
    }
    return;
  }
  try {
    const current = readHolder(lockFile);
    if (typeof current === 'object' && current.token === stale.token) unlinkQuietly(lockFile);
  } finally {
    unlinkQuietly(guard);
  }
}

function ageMs(path: string): number | undefined {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
