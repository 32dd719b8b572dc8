import { execFile } from 'node:child_process';
import { AddressInfo } from 'node:net';
import { Server } from 'node:http';
import { join } from 'node:path';
import { SECRET, TestApp, bearer, startTestApp } from './support/app';

const LAUNCHER = join(__dirname, '../scripts/conventions.cjs');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** The CLI as an operator runs it (`npx conventions …`, the package's bin), with only the environment given. */
function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [LAUNCHER, ...args],
      { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr, ms: Date.now() - started }),
    );
  });
}

describe('the operator CLI (scripts/conventions.cjs, package.json bin `conventions`)', () => {
  let testApp: TestApp;
  let apiUrl: string;

  beforeAll(async () => {
    testApp = await startTestApp('pglite');
    const server = testApp.app.getHttpServer() as Server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
    // Built once here if needed, so that the runs below measure the CLI, not the build.
    await cli(['--help']);
  }, 120_000);

  afterAll(async () => {
    await testApp?.close();
  });

  it('answers --help with exit 0, naming its commands and every environment variable it reads', async () => {
    const run = await cli(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Usage: conventions/);
    for (const name of [
      'ledger',
      'token',
      'import-communes',
      'API_URL',
      'API_TOKEN',
      'CLI_ACTOR',
      'JWT_SECRET',
      'NODE_ENV',
      'DATABASE_URL',
    ])
      expect(run.stdout).toContain(name);
    // Built once, it does not rebuild: well under the 6-10 s a build takes (the target is under a second).
    expect(run.ms).toBeLessThan(3_000);
  });

  it('refuses an unknown commune with a message and a non-zero exit, instead of printing an empty ledger', async () => {
    const run = await cli(['ledger', '2026', '--commune', '99999'], { API_URL: apiUrl, JWT_SECRET: SECRET });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/Unknown commune 99999/);
    expect(run.stdout).toBe('');
  });

  it('prints a known commune ledger (exit 0)', async () => {
    const run = await cli(['ledger', '2026', '--commune', '69123'], { API_URL: apiUrl, JWT_SECRET: SECRET });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
  });

  it('refuses in production to sign a token without CLI_ACTOR: the audit would record a shared cli-operator', async () => {
    const run = await cli(['ledger', '2026'], { API_URL: apiUrl, JWT_SECRET: SECRET, NODE_ENV: 'production' });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/CLI_ACTOR/);
    const named = await cli(['ledger', '2026'], { API_URL: apiUrl, JWT_SECRET: SECRET, NODE_ENV: 'production', CLI_ACTOR: 'jdupont' });
    expect(named.stderr).toBe('');
    expect(named.code).toBe(0);
  });

  it("records the operator's name in the audit, not a shared cli-operator", async () => {
    const run = await cli(['import-communes'], { API_URL: apiUrl, JWT_SECRET: SECRET, NODE_ENV: 'production', CLI_ACTOR: 'jdupont' });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const auditor = testApp.tokens.auditor;
    const events = async (actor: string) =>
      (await testApp.http.get('/api/audit/events').query({ actor, limit: 1000 }).set(bearer(auditor)).expect(200)).body.events as {
        type: string;
      }[];
    // The audit read model follows the log: wait until it shows the import.
    for (let tries = 0; tries < 100 && (await events('jdupont')).length === 0; tries++) await new Promise((r) => setTimeout(r, 100));
    const recorded = await events('jdupont');
    expect(recorded.map((event) => event.type)).toEqual(expect.arrayContaining(['PopulationRecorded', 'LegacyConventionRecorded']));
    expect(await events('cli-operator')).toEqual([]);
  }, 60_000);

  it('answers an unknown command with a non-zero exit', async () => {
    const run = await cli(['no-such-command']);
    expect(run.code).not.toBe(0);
  });
});
