import { RecordedEvent, comparePositions, formatPosition, parsePosition } from '@lib/event-store/event-store.port';
import { bearer, describeE2E } from './support/app';

interface AuditEntryBody {
  position: string;
  eventId: string;
  streamId: string;
  revision: number;
  type: string;
  schemaVersion: number;
  businessDate: string | null;
  recordedAt: string;
  actor: { id: string; role: string } | null;
  reason: string | null;
  legalReference: string | null;
  commandId: string | null;
  correlationId: string | null;
  causationId: string | null;
  data: Record<string, unknown>;
}

describeE2E('audit: history, global history, integrity, export (R-AUD-1, R-TIME-2)', (current) => {
  const INSEE = '69259'; // Vénissieux
  const ID = `${INSEE}-1`;
  let last = '0';
  let betweenCommands = '';

  async function command(path: string, body: object, expected: number, headers: Record<string, string> = {}): Promise<void> {
    const { http, tokens } = current();
    const response = await http.post(path).set(bearer(tokens.admin)).set(headers).send(body);
    expect({ status: response.status, body: response.body }).toMatchObject({ status: expected });
    if (response.body.position) last = response.body.position;
  }

  const auditor = () => bearer(current().tokens.auditor);

  /** Every event up to the last command: global readers see an event once older transactions of the cluster have ended. */
  async function settledEvents(): Promise<RecordedEvent[]> {
    const target = parsePosition(last)!;
    while (comparePositions(await current().store.headPosition(), target) < 0) await new Promise((resolve) => setTimeout(resolve, 20));
    return current().allEvents();
  }

  async function auditPage(query: Record<string, string>): Promise<{ events: AuditEntryBody[]; next: string | null }> {
    const response = await current()
      .http.get('/api/audit/events')
      .query({ minPosition: last, ...query })
      .set(auditor());
    expect({ status: response.status, errors: response.body.errors }).toEqual({ status: 200, errors: undefined });
    return response.body;
  }

  beforeAll(async () => {
    await command(
      '/api/conventions',
      {
        communeInsee: INSEE,
        communeName: 'Vénissieux',
        signedOn: '2026-02-10',
        effectiveFrom: '2026-03-01',
        legalReference: 'DEL-2026-017',
        reason: 'Délibération du conseil municipal du 2 février 2026',
        annexes: [{ serviceId: 'toodego', offerId: 'partenaire', effectiveFrom: '2026-03-01' }],
      },
      201,
      { 'X-Correlation-Id': 'ticket-4242' },
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    betweenCommands = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await command(`/api/conventions/${ID}/annexes/toodego/stop`, { effectiveOn: '2026-10-01', reason: 'Fin du service' }, 200);
    await command('/api/lifecycle/run', { asOf: '2027-03-01' }, 200); // renewal 1 of 2027-03-01..2028-02-29
  }, 60_000);

  describe('GET /api/conventions/{id}/history', () => {
    it('gives every event of the convention in order with its business date, recording instant, actor, reason, legal reference and ids', async () => {
      const { http, tokens } = current();
      const response = await http.get(`/api/conventions/${ID}/history`).set(bearer(tokens.auditor)).expect(200);
      const events = response.body.events as AuditEntryBody[];
      expect(events.map((e) => [e.type, e.revision, e.businessDate, e.actor?.id, e.reason, e.legalReference])).toEqual([
        ['ConventionSigned', 0, '2026-03-01', 'admin-alice', 'Délibération du conseil municipal du 2 février 2026', 'DEL-2026-017'],
        ['AnnexAdded', 1, '2026-03-01', 'admin-alice', 'Délibération du conseil municipal du 2 février 2026', 'DEL-2026-017'],
        ['ServiceStopped', 2, '2026-10-01', 'admin-alice', 'Fin du service', null],
        ['ConventionRenewed', 3, '2027-03-01', 'admin-alice', null, null],
      ]);
      // One command, one correlation: the signature's two events share its ids; the caller's correlation id is kept.
      expect(events[0]).toMatchObject({ correlationId: 'ticket-4242', actor: { id: 'admin-alice', role: 'admin' }, schemaVersion: 1 });
      expect(events[1].commandId).toBe(events[0].commandId);
      expect(events[0].causationId).toBe(events[0].commandId);
      expect(events[2].commandId).not.toBe(events[0].commandId);
      // Positions and instants are those the store recorded.
      const stored: RecordedEvent[] = [];
      for await (const event of current().store.readStream(`convention-${ID}`)) stored.push(event);
      expect(events.map((e) => [e.eventId, e.position, e.recordedAt])).toEqual(
        stored.map((e) => [e.id, formatPosition(e.position), e.recordedAt]),
      );
    });

    it('is readable by the commune itself and the admin, not by another commune or a consumer; an unknown convention is a 404', async () => {
      const { http, tokens } = current();
      await http
        .get(`/api/conventions/${ID}/history`)
        .set(bearer(tokens.commune(INSEE)))
        .expect(200);
      await http.get(`/api/conventions/${ID}/history`).set(bearer(tokens.admin)).expect(200);
      await http
        .get(`/api/conventions/${ID}/history`)
        .set(bearer(tokens.commune('69123')))
        .expect(403);
      await http.get(`/api/conventions/${ID}/history`).set(bearer(tokens.consumer)).expect(403);
      await http.get(`/api/conventions/${INSEE}-9/history`).set(bearer(tokens.auditor)).expect(404);
      await http.get('/api/conventions/not-an-id/history').set(bearer(tokens.auditor)).expect(404);
    });
  });

  describe('GET /api/audit/events', () => {
    it('pages the global history in global order with a next cursor', async () => {
      const all = (await settledEvents()).map((e) => formatPosition(e.position));
      const seen: string[] = [];
      let after = '0';
      for (let pages = 0; pages < 50; pages++) {
        const page = await auditPage({ after, limit: '2' });
        seen.push(...page.events.map((e) => e.position));
        expect(page.events.length).toBeLessThanOrEqual(2);
        if (!page.next) break;
        after = page.next;
      }
      expect(seen).toEqual(all);
    });

    it('filters by type (one or several), by actor and by recording instants', async () => {
      expect((await auditPage({ type: 'ServiceStopped' })).events.map((e) => e.streamId)).toEqual([`convention-${ID}`]);
      expect((await auditPage({ type: 'ServiceStopped,ConventionRenewed' })).events.map((e) => e.type)).toEqual([
        'ServiceStopped',
        'ConventionRenewed',
      ]);
      const system = (await auditPage({ actor: 'system' })).events;
      expect(system.length).toBeGreaterThan(0);
      expect(system.every((e) => e.actor?.id === 'system' && e.streamId === 'catalogue')).toBe(true);
      expect((await auditPage({ actor: 'admin-alice' })).events.map((e) => e.type)).toEqual([
        'ConventionSigned',
        'AnnexAdded',
        'ServiceStopped',
        'ConventionRenewed',
      ]);
      expect((await auditPage({ actor: 'admin-alice', from: betweenCommands })).events.map((e) => e.type)).toEqual([
        'ServiceStopped',
        'ConventionRenewed',
      ]);
      expect((await auditPage({ actor: 'admin-alice', to: betweenCommands })).events.map((e) => e.type)).toEqual([
        'ConventionSigned',
        'AnnexAdded',
      ]);
      expect((await auditPage({ type: 'ServiceStopped', actor: 'system' })).events).toEqual([]);
    });

    it('reads a date in from/to as a whole day in Europe/Paris', async () => {
      const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris' }).format(new Date());
      expect((await auditPage({ actor: 'admin-alice', from: today, to: today })).events).toHaveLength(4);
      expect((await auditPage({ actor: 'admin-alice', to: '2020-01-01' })).events).toEqual([]);
    });

    it('answers 400 field by field on a bad filter, and only to the auditor', async () => {
      const { http, tokens } = current();
      const cases: Array<[Record<string, string>, string[]]> = [
        [{ limit: '0' }, ['limit']],
        [{ limit: '1001' }, ['limit']],
        [{ after: 'page-2' }, ['after']],
        [{ from: '2026-13-01' }, ['from']],
        [{ to: '2026-03-01T25:00:00Z' }, ['to']],
        [{ from: '2026-03-02', to: '2026-03-01' }, ['to']],
        [{ type: 'Annex Added' }, ['type']],
        [{ since: '2026-01-01' }, ['since']],
      ];
      for (const [query, fields] of cases) {
        const response = await http.get('/api/audit/events').query(query).set(auditor());
        expect({ query, status: response.status, fields: response.body.errors?.map((e: { field: string }) => e.field) }).toEqual({
          query,
          status: 400,
          fields,
        });
      }
      await http.get('/api/audit/events').set(bearer(tokens.admin)).expect(403);
      await http.get('/api/audit/verify').set(bearer(tokens.admin)).expect(403);
      await http
        .get('/api/audit/export')
        .set(bearer(tokens.commune(INSEE)))
        .expect(403);
    });
  });

  describe('integrity chain and export', () => {
    it('exports the history as JSON Lines, one event a line with its hash chained to the previous one', async () => {
      const { http } = current();
      const events = await settledEvents();
      const response = await http
        .get('/api/audit/export')
        .set(auditor())
        .buffer(true)
        .parse((res, done) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
          res.on('end', () => done(null, text));
        });
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toMatch(/application\/x-ndjson/);
      const lines = (response.body as string)
        .trimEnd()
        .split('\n')
        .map((text) => JSON.parse(text));
      expect(lines.map((l) => [l.position, l.id, l.type, l.recordedAt])).toEqual(
        events.map((e) => [formatPosition(e.position), e.id, e.type, e.recordedAt]),
      );
      expect(lines[0].previousHash).toBeNull();
      lines.slice(1).forEach((l, i) => expect(l.previousHash).toBe(lines[i].hash));
      const verify = await http.get('/api/audit/verify').set(auditor()).expect(200);
      const { sealedHead, unsealedTail, tree, signedHead: _signedHead, ...verification } = verify.body as Record<string, unknown>;
      expect(verification).toEqual({ ok: true, checked: events.length, headHash: lines[lines.length - 1].hash });
      // The export sealed every event it wrote: the head is its last line, nothing waits above it.
      expect(sealedHead).toMatchObject({
        size: events.length,
        hash: lines[lines.length - 1].hash,
        position: lines[lines.length - 1].position,
      });
      expect(unsealedTail).toMatchObject({ count: 0, overdue: false, boundMs: 1000 });
      expect(tree).toMatchObject({ size: events.length, ok: true }); // the tree grows with the chain (verifiable-log.e2e)
    });

    it('verify finds the first event altered in the database (UPDATE events SET data = …)', async () => {
      const { http, db } = current();
      const events = await settledEvents();
      const stop = events.find((e) => e.type === 'ServiceStopped')!;
      await db.query(`UPDATE events SET data = jsonb_set(data, '{effectiveOn}', '"2026-12-01"') WHERE event_id = $1`, [stop.id]);
      const verify = await http.get('/api/audit/verify').set(auditor()).expect(200);
      expect(verify.body).toMatchObject({ ok: false, checked: events.length, firstBrokenPosition: formatPosition(stop.position) });
    });
  });
});
