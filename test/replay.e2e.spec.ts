import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExportHistoryCommand } from '../apps/cli/src/export-history.command';
import { RebuildProjectionsCommand } from '../apps/cli/src/rebuild-projections.command';
import { RecordedEvent, comparePositions, parsePosition } from '@lib/event-store/event-store.port';
import { PROJECTIONS } from '@lib/projections/registry';
import { bearer, describeE2E } from './support/app';

interface RebuildBody {
  jobId: string;
  state: string;
  totalEvents: number;
  eventsDone: number;
  projections: Array<{
    name: string;
    check?: {
      equal: boolean;
      samePosition: boolean;
      live: Array<{ table: string; rows: number; md5: string }>;
      rebuilt: Array<{ table: string; rows: number; md5: string }>;
    };
  }>;
}
interface EntitlementBody {
  serviceId: string;
  offerId: string;
  from: string | null;
  until: string | null;
  source: { kind: string; id: string };
}
const line = (e: EntitlementBody) => `${e.serviceId}/${e.offerId} ${e.from ?? '…'}..${e.until ?? '…'} ${e.source.kind} ${e.source.id}`;

describeE2E('replay: rebuild into fresh tables, check, swap; old event shapes read through upcasters', (current) => {
  let last = '0';

  async function command(path: string, body: object, expected: number): Promise<void> {
    const { http, tokens } = current();
    const response = await http.post(path).set(bearer(tokens.admin)).send(body);
    expect({ status: response.status, body: response.body }).toMatchObject({ status: expected });
    if (response.body.position) last = response.body.position;
  }

  /** Every event up to the last command: global readers see an event once older transactions of the cluster have ended. */
  async function settledEvents(): Promise<RecordedEvent[]> {
    const target = parsePosition(last)!;
    while (comparePositions(await current().store.headPosition(), target) < 0) await new Promise((resolve) => setTimeout(resolve, 20));
    return current().allEvents();
  }

  async function entitlements(insee: string, on: string): Promise<string[]> {
    const { http, tokens } = current();
    const response = await http
      .get(`/api/communes/${insee}/entitlements`)
      .query({ on, minPosition: last })
      .set(bearer(tokens.auditor))
      .expect(200);
    return (response.body as EntitlementBody[]).map(line);
  }

  async function rebuild(): Promise<RebuildBody> {
    const { http, tokens } = current();
    const started = await http.post('/api/admin/projections/rebuild').set(bearer(tokens.admin)).expect(202);
    for (let polls = 0; polls < 300; polls++) {
      const progress = await http.get(`/api/admin/projections/rebuild/${started.body.jobId}`).set(bearer(tokens.admin)).expect(200);
      if (!['rebuilding', 'checking'].includes(progress.body.state)) return progress.body;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('the rebuild did not finish');
  }

  beforeAll(async () => {
    await command(
      '/api/legacy-conventions',
      {
        communeInsee: '69003',
        communeName: 'Albigny-sur-Saône',
        serviceId: 'laclasse',
        offerId: 'standard',
        annualContribution: null,
        year: 2025,
      },
      201,
    );
    await command(
      '/api/conventions',
      {
        communeInsee: '69266',
        communeName: 'Villeurbanne',
        signedOn: '2025-12-01',
        effectiveFrom: '2026-01-01',
        annexes: [{ serviceId: 'toodego', offerId: 'partenaire', effectiveFrom: '2026-01-01' }],
      },
      201,
    );
    await command('/api/conventions/69266-1/annexes/toodego/offer-change', { offerId: 'connecte', effectiveFrom: '2026-04-01' }, 200);
    await command(
      '/api/reference/populations',
      { communeInsee: '69266', population: 156928, effectiveDate: '2025-01-01', source: 'INSEE' },
      201,
    );
    await command('/api/lifecycle/run', { asOf: '2026-03-01' }, 200);
  }, 60_000);

  it('rebuilds every projection from position 0 into fresh tables that equal the live ones, then swaps them in without stopping the API', async () => {
    const { http, tokens } = current();
    const before = await entitlements('69266', '2026-05-01');
    const done = await rebuild();
    expect(done.state).toBe('ready');
    expect(done.totalEvents).toBe((await settledEvents()).length);
    expect(done.eventsDone).toBe(done.totalEvents);
    expect(done.projections.map((p) => [p.name, p.check?.samePosition, p.check?.equal])).toEqual(
      PROJECTIONS.map((p) => [p.name, true, true]),
    );
    expect(done.projections.find((p) => p.name === 'audit')!.check!.live[0].rows).toBe(done.totalEvents);

    // Readers go on during the swap: each sees the old tables or the new ones, never an error or a mix.
    let swapping = true;
    const reads: string[][] = [];
    const reader = (async () => {
      while (swapping) reads.push(await entitlements('69266', '2026-05-01'));
    })();
    const swapped = await http.post(`/api/admin/projections/rebuild/${done.jobId}/swap`).set(bearer(tokens.admin)).expect(200);
    swapping = false;
    await reader;
    expect(swapped.body.state).toBe('swapped');
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.filter((read) => JSON.stringify(read) !== JSON.stringify(before))).toEqual([]);
    expect(await entitlements('69266', '2026-05-01')).toEqual(before);
    // The swapped-in tables go on following: a new fact is projected into them.
    await command('/api/conventions/69266-1/annexes', { serviceId: 'laclasse', offerId: 'standard', effectiveFrom: '2026-05-01' }, 201);
    expect(await entitlements('69266', '2026-05-01')).toEqual([...before, 'laclasse/standard 2026-05-01..… convention 69266-1'].sort());
    const status = await http.get('/api/admin/projections').set(bearer(tokens.admin)).expect(200);
    expect(status.body.map((s: { name: string; state: string }) => [s.name, s.state])).toEqual(PROJECTIONS.map((p) => [p.name, 'running']));
    // The swapped-in tables carry the live names, their indexes too (so the next copy can take its own).
    const { rows: indexes } = await current().db.query<{ indexname: string }>(
      `SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename IN ('entitlement_versions', 'entitlement_sources', 'audit_events', 'fee_ledger_facts') ORDER BY indexname`,
    );
    expect(indexes.map((row) => row.indexname)).toEqual(
      expect.arrayContaining(['entitlement_versions_by_commune', 'entitlement_sources_pkey', 'audit_events_pkey']),
    );
    expect(indexes.filter((row) => row.indexname.includes('_rebuild'))).toEqual([]);
    // And a second rebuild of the swapped tables still finds them equal.
    const again = await rebuild();
    expect(again.projections.map((p) => p.check?.equal)).toEqual(PROJECTIONS.map(() => true));
    await http.delete(`/api/admin/projections/rebuild/${again.jobId}`).set(bearer(tokens.admin)).expect(200);
  }, 60_000);

  it('finds a live table that drifted from the events, and the swap repairs it', async () => {
    const { http, tokens, db } = current();
    const right = await entitlements('69266', '2026-05-01');
    await db.query(`UPDATE entitlement_versions SET offer_id = 'abonne' WHERE commune_insee = '69266'`);
    expect(await entitlements('69266', '2026-05-01')).not.toEqual(right);
    const done = await rebuild();
    expect(done.projections.map((p) => [p.name, p.check?.equal])).toEqual(PROJECTIONS.map((p) => [p.name, p.name !== 'entitlements']));
    const entitlementsCheck = done.projections.find((p) => p.name === 'entitlements')!.check!;
    expect(
      entitlementsCheck.live.map((t) => [t.table, t.rows === entitlementsCheck.rebuilt.find((r) => r.table === t.table)!.rows]),
    ).toEqual([
      ['entitlement_sources', true],
      ['entitlement_versions', true],
    ]);
    await http.post(`/api/admin/projections/rebuild/${done.jobId}/swap`).set(bearer(tokens.admin)).expect(200);
    expect(await entitlements('69266', '2026-05-01')).toEqual(right);
  }, 60_000);

  it('refuses a second rebuild while one is ready (409), and an unknown job (404); admin only (403)', async () => {
    const { http, tokens } = current();
    const done = await rebuild();
    await http.post('/api/admin/projections/rebuild').set(bearer(tokens.admin)).expect(409);
    await http.get(`/api/admin/projections/rebuild/${randomUUID()}`).set(bearer(tokens.admin)).expect(404);
    await http.post('/api/admin/projections/rebuild').set(bearer(tokens.auditor)).expect(403);
    const cancelled = await http.delete(`/api/admin/projections/rebuild/${done.jobId}`).set(bearer(tokens.admin)).expect(200);
    expect(cancelled.body.state).toBe('cancelled');
    await http.post(`/api/admin/projections/rebuild/${done.jobId}/swap`).set(bearer(tokens.admin)).expect(409);
    const { rows } = await current().db.query<{ n: string | number }>(
      `SELECT count(*) AS n FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE '%\\_rebuild'`,
    );
    expect(Number(rows[0].n)).toBe(0);
  }, 60_000);

  it('reads events stored in an older schema version through the upcasters: the convention, its entitlements, its history', async () => {
    const { http, tokens, store } = current();
    const metadata = {
      actor: { id: 'pilot-import', role: 'admin' },
      reason: 'Import of the pilot',
      commandId: randomUUID(),
      correlationId: randomUUID(),
    };
    // The pilot's shapes (schema version 0): no legal reference nor initial period; `service`, `offer`, `from`.
    const { position } = await store.appendToStream(
      'convention-69300-1',
      [
        {
          id: randomUUID(),
          type: 'ConventionSigned',
          schemaVersion: 0,
          data: {
            conventionId: '69300-1',
            communeInsee: '69300',
            communeName: 'Pilot',
            signedOn: '2025-10-01',
            effectiveFrom: '2025-11-01',
          },
          metadata,
        },
        {
          id: randomUUID(),
          type: 'AnnexAdded',
          schemaVersion: 0,
          data: { conventionId: '69300-1', service: 'toodego', offer: 'partenaire', from: '2025-11-01' },
          metadata,
        },
      ],
      { expectedRevision: 'no_stream' },
    );
    last = `${position.commit}-${position.prepare}`;
    const convention = await http.get('/api/conventions/69300-1').set(bearer(tokens.auditor)).expect(200);
    expect(convention.body).toMatchObject({
      legalReference: 'CP-2025-4074',
      periods: [{ number: 1, start: '2025-11-01', end: '2026-10-31' }],
      annexes: [
        { serviceId: 'toodego', from: '2025-11-01', until: null, offers: [{ offerId: 'partenaire', from: '2025-11-01', until: null }] },
      ],
    });
    expect(await entitlements('69300', '2026-01-15')).toEqual(['toodego/partenaire 2025-11-01..… convention 69300-1']);
    const history = await http.get('/api/conventions/69300-1/history').set(bearer(tokens.auditor)).expect(200);
    expect(
      history.body.events.map((e: { type: string; schemaVersion: number; businessDate: string; data: object }) => [
        e.type,
        e.schemaVersion,
        e.businessDate,
        Object.keys(e.data).sort(),
      ]),
    ).toEqual([
      ['ConventionSigned', 0, '2025-11-01', ['communeInsee', 'communeName', 'conventionId', 'effectiveFrom', 'signedOn']],
      ['AnnexAdded', 0, '2025-11-01', ['conventionId', 'from', 'offer', 'service']],
    ]);
    // A command decides on the upcast state and records today's shape after the old ones.
    await command('/api/conventions/69300-1/annexes/toodego/offer-change', { offerId: 'connecte', effectiveFrom: '2026-02-01' }, 200);
    expect(await entitlements('69300', '2026-02-01')).toEqual(['toodego/connecte 2026-02-01..… convention 69300-1']);
    // A rebuild reads them the same way.
    const done = await rebuild();
    expect(done.projections.map((p) => p.check?.equal)).toEqual(PROJECTIONS.map(() => true));
    await http.delete(`/api/admin/projections/rebuild/${done.jobId}`).set(bearer(tokens.admin)).expect(200);
  }, 60_000);

  describe('the operator CLI, over HTTP', () => {
    let dir: string;
    const env = { ...process.env };

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'replay-cli-'));
      await current().app.listen(0, '127.0.0.1');
      const { port } = current().app.getHttpServer().address() as AddressInfo;
      process.env.API_URL = `http://127.0.0.1:${port}/api`;
    });

    afterAll(() => {
      process.env = env;
      rmSync(dir, { recursive: true, force: true });
    });

    it('export-history writes one line per event with its hash, and checks the chain on the way', async () => {
      process.env.API_TOKEN = current().tokens.auditor;
      const events = await settledEvents();
      const out = join(dir, 'history.jsonl');
      const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
      try {
        await new ExportHistoryCommand().run([], { out });
      } finally {
        stderr.mockRestore();
      }
      const lines = readFileSync(out, 'utf8')
        .trimEnd()
        .split('\n')
        .map((text) => JSON.parse(text));
      expect(lines.map((l) => l.id)).toEqual(events.map((e) => e.id));
      const verify = await current().http.get('/api/audit/verify').set(bearer(current().tokens.auditor)).expect(200);
      expect(lines[lines.length - 1].hash).toBe(verify.body.headHash);
    });

    it('rebuild-projections draws its progress, prints the checks and swaps with --swap', async () => {
      process.env.API_TOKEN = current().tokens.admin;
      const written: string[] = [];
      const capture = (chunk: string | Uint8Array) => {
        written.push(String(chunk));
        return true;
      };
      const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(capture);
      const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(capture);
      try {
        await new RebuildProjectionsCommand().run([], { swap: true, intervalMs: 50 });
      } finally {
        stdout.mockRestore();
        stderr.mockRestore();
      }
      const text = written.join('');
      expect(text).toMatch(/\[#+\] 100% (\d+)\/\1 events/);
      expect(text).toMatch(/entitlements\s+entitlement_versions .* equal/);
      expect(text).not.toMatch(/DIFFERENT/);
      expect(text).toContain('Swapped in');
      expect(process.exitCode ?? 0).toBe(0);
    }, 60_000);
  });
});
