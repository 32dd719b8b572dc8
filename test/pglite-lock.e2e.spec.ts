import { communeName } from './support/communes';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiProcess, spawnApi } from './support/api-process';

/**
 * Two API processes on one PGlite DATA_DIR used to both start, both acknowledge
 * writes, and lose the first one's on the next open. Real processes, killed with SIGKILL.
 */
describe('one process per PGlite DATA_DIR (the data-directory lock)', () => {
  let dataDir: string;
  const apis: ApiProcess[] = [];

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'pglite-lock-e2e-'));
  });

  afterAll(async () => {
    await Promise.all(apis.map((api) => api.kill('SIGKILL')));
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function start(): Promise<ApiProcess> {
    const api = await spawnApi({ EVENT_STORE: 'pglite', DATA_DIR: dataDir });
    apis.push(api);
    return api;
  }

  const signed: string[] = [];

  async function sign(api: ApiProcess, insee: string): Promise<void> {
    const response = await fetch(`${api.url}/api/conventions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${api.token('admin')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ communeInsee: insee, communeName: communeName(insee), signedOn: '2026-01-10', effectiveFrom: '2026-02-01' }),
    });
    expect(response.status).toBe(201);
    signed.push(((await response.json()) as { conventionId: string }).conventionId);
  }

  /** Every convention acknowledged so far is there, and the integrity chain holds. */
  async function expectEverySigned(api: ApiProcess): Promise<void> {
    for (const id of signed) {
      const response = await fetch(`${api.url}/api/conventions/${id}`, { headers: { authorization: `Bearer ${api.token('admin')}` } });
      expect({ id, status: response.status }).toEqual({ id, status: 200 });
    }
    const verify = await fetch(`${api.url}/api/audit/verify`, { headers: { authorization: `Bearer ${api.token('auditor')}` } });
    expect(verify.status).toBe(200);
    expect(await verify.json()).toEqual(expect.objectContaining({ ok: true }));
  }

  it('a second process on the same directory exits non-zero with one line naming the directory and the holder; the first keeps working', async () => {
    const first = await start();
    await first.waitHealthy();
    for (const insee of ['69029', '69033', '69034', '69040', '69044']) await sign(first, insee);

    const second = await start();
    // It must end by itself. (Not raced against its health: under load another machine-wide process can
    // take the port picked for it and answer there.) Without the lock it ran on and served.
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      second.exited,
      new Promise((resolve) => (timer = setTimeout(() => resolve('still running after 90 s'), 90_000))),
    ]);
    clearTimeout(timer);
    expect(outcome).toEqual({ code: 1, signal: null });
    const lines = second.output().trim().split('\n');
    const message = lines.find((line) => line.includes(dataDir));
    expect(message).toBeDefined();
    expect(message).toContain(`pid ${first.child.pid} on host ${hostname()}, since `);
    // That line is all it printed about it: no stack trace.
    expect(lines.filter((line) => /^\s+at /.test(line))).toEqual([]);

    await sign(first, '69046');
    await expectEverySigned(first);
  }, 180_000);

  it('after the holder is killed with SIGKILL, a new process takes the stale lock over and has every acknowledged convention', async () => {
    const [first] = apis;
    await first.kill('SIGKILL');
    const next = await start();
    await next.waitHealthy();
    expect(signed).toHaveLength(6);
    await expectEverySigned(next);
    await sign(next, '69063');
    await expectEverySigned(next);
  }, 120_000);
});
