import { FEED_TABLES, readFeedPage } from '@lib/projections/feed';
import { bearer, describeE2E } from './support/app';
import { FeedItemBody, readWholeFeed } from './support/feed-sse';
import { invalidFeedEvents } from './support/feed-schemas';

/**
 * GET /api/feed (API.md): integration events in delivery order, paged with after/limit/next;
 * who may read it; a consumer's services claim; bad input; the published JSON Schemas.
 * The expected events are worked out by hand from the commands and the rules they apply.
 */
describeE2E('feed: paging, roles, services claim and schemas', (current) => {
  const VILLEURBANNE = '69266';
  const BRON = '69029';
  const ID = `${VILLEURBANNE}-1`;
  let last = '0';

  async function command(path: string, body: object, expected: number): Promise<void> {
    const { http, tokens } = current();
    const response = await http.post(path).set(bearer(tokens.admin)).send(body);
    expect({ path, status: response.status, body: response.body }).toMatchObject({ status: expected });
    if (response.body.position) last = response.body.position;
  }

  const wholeFeed = (token = current().tokens.consumer, limit = 1000) => readWholeFeed(current().http, token, { limit, minPosition: last });

  beforeAll(async () => {
    await command(
      '/api/conventions',
      {
        communeInsee: VILLEURBANNE,
        communeName: 'Villeurbanne',
        signedOn: '2026-01-15',
        effectiveFrom: '2026-02-01',
        annexes: [
          { serviceId: 'toodego', offerId: 'partenaire', effectiveFrom: '2026-02-01' },
          { serviceId: 'laclasse', offerId: 'standard', effectiveFrom: '2026-03-01' },
        ],
      },
      201,
    );
    await command(`/api/conventions/${ID}/annexes/toodego/offer-change`, { offerId: 'connecte', effectiveFrom: '2026-06-01' }, 200);
    await command(`/api/conventions/${ID}/annexes/laclasse/stop`, { effectiveOn: '2026-09-01', reason: 'Autre ENT' }, 200);
    // Billing facts, then the 2026 issue (FeeLedgerIssued).
    await command(
      '/api/reference/populations',
      { communeInsee: VILLEURBANNE, population: 150000, effectiveDate: '2025-01-01', source: 'INSEE (test)' },
      201,
    );
    await command('/api/reference/syntec', { period: '2024-10', value: '300.0', publishedOn: '2024-11-29' }, 201);
    await command('/api/reference/syntec', { period: '2025-10', value: '306.0', publishedOn: '2025-11-28' }, 201);
    await command('/api/ledgers/2026/issue', { reason: 'Titres 2026' }, 201);
    await command(`/api/conventions/${ID}/termination`, { effectiveOn: '2026-12-01', by: 'commune', reason: 'Délibération' }, 200);
    await command(
      '/api/legacy-conventions',
      {
        communeInsee: BRON,
        communeName: 'Bron',
        serviceId: 'laclasse',
        offerId: 'standard',
        annualContribution: '1200.00',
        year: 2025,
        startDate: '2019-09-01',
      },
      201,
    );
  }, 60_000);

  it('holds, in order, the events the commands imply', async () => {
    const feed = await wholeFeed();
    const summary = feed.map(({ type, version, data }) => {
      const d = data as Record<string, unknown>;
      if (type === 'ConventionStatusChanged')
        return `${type}/${version} ${d.conventionId} ${d.change} ${d.status} lastDay=${d.lastDay} ${d.endReason}`;
      if (type === 'FeeLedgerIssued') {
        const lines = (d.lines as Array<Record<string, string>>)
          .map((l) => `${l.serviceId}/${l.offerId} ${l.inForceFrom}..${l.inForceUntil}`)
          .sort();
        return `${type}/${version} ${d.year} #${d.issueNumber} ${d.kind} [${lines.join(', ')}]`;
      }
      const offers = (d.offers as Array<Record<string, string | null>>).map((o) => `${o.offerId} ${o.from}..${o.until}`).join(', ');
      const extra =
        type === 'EntitlementChanged'
          ? ` changes=${(d.changes as string[]).join('+')}`
          : type === 'EntitlementEnded'
            ? ` withdrawn=${d.withdrawn}`
            : '';
      return `${type}/${version} ${d.entitlementId} ${d.offerId} ${d.from}..${d.until} [${offers}]${extra}`;
    });
    expect(summary).toEqual([
      `ConventionStatusChanged/1 ${ID} signed active lastDay=null null`,
      `EntitlementGranted/1 convention/${ID}/toodego/2026-02-01 partenaire 2026-02-01..null [partenaire 2026-02-01..null]`,
      `EntitlementGranted/1 convention/${ID}/laclasse/2026-03-01 standard 2026-03-01..null [standard 2026-03-01..null]`,
      // R-ANX-4: the old offer ends the day before the change.
      `EntitlementChanged/1 convention/${ID}/toodego/2026-02-01 connecte 2026-02-01..null [partenaire 2026-02-01..2026-05-31, connecte 2026-06-01..null] changes=offer`,
      // R-ANX-3: stopped from 2026-09-01, so its last day is 2026-08-31.
      `EntitlementEnded/1 convention/${ID}/laclasse/2026-03-01 standard 2026-03-01..2026-08-31 [standard 2026-03-01..2026-08-31] withdrawn=false`,
      // R-FEE-8: one line per annex period in the year, the offer change making two.
      'FeeLedgerIssued/1 2026 #1 initial [laclasse/standard 2026-03-01..2026-08-31, toodego/connecte 2026-06-01..2026-12-31, toodego/partenaire 2026-02-01..2026-05-31]',
      // R-CONV-6, R-CONV-7: terminated from 2026-12-01 ends the convention and its annexes on 2026-11-30.
      `ConventionStatusChanged/1 ${ID} terminated ended lastDay=2026-11-30 terminated`,
      `EntitlementEnded/1 convention/${ID}/toodego/2026-02-01 connecte 2026-02-01..2026-11-30 [partenaire 2026-02-01..2026-05-31, connecte 2026-06-01..2026-11-30] withdrawn=false`,
      // R-LEG-1: a legacy convention with a known start.
      `EntitlementGranted/1 legacy/${BRON}/laclasse standard 2019-09-01..null [standard 2019-09-01..null]`,
    ]);
    const legacy = feed.at(-1)!.data as Record<string, unknown>;
    expect(legacy).toMatchObject({ communeInsee: BRON, serviceId: 'laclasse', source: { kind: 'legacy', id: `${BRON}/laclasse` } });
  });

  it('every event validates against its published JSON Schema', async () => {
    const feed = await wholeFeed();
    expect(feed.length).toBeGreaterThan(0);
    expect(invalidFeedEvents(feed)).toEqual([]);
  });

  it('gives the same sequence whatever the page size; a full page’s next is its last position; positions never repeat', async () => {
    const whole = await wholeFeed();
    const positions = whole.map((item) => item.position);
    expect(new Set(positions).size).toBe(positions.length);
    for (const limit of [1, 2, 4, 7]) {
      const { http, tokens } = current();
      const seen: FeedItemBody[] = [];
      let after = '0';
      for (;;) {
        const { body } = await http.get('/api/feed').query({ after, limit }).set(bearer(tokens.consumer)).expect(200);
        seen.push(...body.items);
        if (body.items.length === limit) expect(body.next).toBe(body.items.at(-1).position);
        if (body.items.length < limit) break;
        after = body.next;
      }
      expect({ limit, positions: seen.map((item) => item.position) }).toEqual({ limit, positions });
      expect(seen).toEqual(whole);
    }
  });

  it('starts from the beginning without after or with after=0, and gives nothing after the last position', async () => {
    const { http, tokens } = current();
    const whole = await wholeFeed();
    const none = await http.get('/api/feed').query({ minPosition: last }).set(bearer(tokens.consumer)).expect(200);
    const zero = await http.get('/api/feed').query({ after: '0' }).set(bearer(tokens.consumer)).expect(200);
    expect(none.body.items).toEqual(whole);
    expect(zero.body).toEqual(none.body);
    const end = await http
      .get('/api/feed')
      .query({ after: whole.at(-1)!.position })
      .set(bearer(tokens.consumer))
      .expect(200);
    expect(end.body).toEqual({ items: [], next: whole.at(-1)!.position });
    // Resuming from the middle gives exactly the rest.
    const middle = await http.get('/api/feed').query({ after: whole[3].position }).set(bearer(tokens.consumer)).expect(200);
    expect(middle.body.items).toEqual(whole.slice(4));
  });

  it('reads pages within a byte budget when asked (what a stream holds per page), never fewer than one item', async () => {
    const whole = await wholeFeed();
    const sizes = whole.map((item) => Buffer.byteLength(JSON.stringify(item)));
    // Room for the first two events and part of the third: two of them, and the page counts as full.
    const page = await readFeedPage(current().db, FEED_TABLES, { after: 0, limit: 100, maxBytes: sizes[0] + sizes[1] + 1 });
    expect(page.items.map((item) => String(item.position))).toEqual([whole[0].position, whole[1].position]);
    expect(page).toMatchObject({ full: true, next: Number(whole[1].position) });
    const tiny = await readFeedPage(current().db, FEED_TABLES, { after: Number(whole[1].position), limit: 100, maxBytes: 1 });
    expect(tiny.items.map((item) => JSON.parse(item.body))).toEqual([whole[2]]);
    expect(tiny.full).toBe(true);
    const all = await readFeedPage(current().db, FEED_TABLES, { after: 0, limit: 100, maxBytes: 10_000_000 });
    expect({ count: all.items.length, full: all.full, next: String(all.next) }).toEqual({
      count: whole.length,
      full: false,
      next: whole.at(-1)!.position,
    });
  });

  it('lets consumer, admin and auditor read; refuses a commune (403) and anyone without a token (401)', async () => {
    const { http, tokens } = current();
    const whole = await wholeFeed();
    for (const token of [tokens.admin, tokens.auditor])
      expect((await http.get('/api/feed').set(bearer(token)).expect(200)).body.items).toEqual(whole);
    const forbidden = await http
      .get('/api/feed')
      .set(bearer(tokens.commune(VILLEURBANNE)))
      .expect(403);
    expect(forbidden.headers['content-type']).toMatch(/^application\/problem\+json/);
    await http.get('/api/feed').expect(401);
    await http.get('/api/feed/stream').expect(401);
    await http
      .get('/api/feed/stream')
      .set(bearer(tokens.commune(VILLEURBANNE)))
      .expect(403);
  });

  it('gives a consumer limited by its services claim only the events naming services it follows, and a next past what it skipped', async () => {
    const whole = await wholeFeed();
    const onlyLaclasse = await wholeFeed(current().tokens.consumerOf(['laclasse']));
    // Entitlement events name their service; a status change names none (everyone gets it); a ledger
    // issue names every service on it (here both), so it goes only to consumers following both.
    const expected = whole.filter((item) => {
      const data = item.data as { serviceId?: string };
      return item.type === 'ConventionStatusChanged' || (item.type.startsWith('Entitlement') && data.serviceId === 'laclasse');
    });
    expect(onlyLaclasse.map((item) => `${item.type} ${item.position}`)).toEqual(expected.map((item) => `${item.type} ${item.position}`));
    expect(onlyLaclasse).toEqual(expected);
    expect(await wholeFeed(current().tokens.consumerOf(['laclasse', 'toodego']))).toEqual(whole);
    // A service the catalogue does not hold: the token is refused, never widened to every service.
    await current()
      .http.get('/api/feed')
      .set(bearer(current().tokens.consumerOf(['geonet'])))
      .expect(401);
    // The last event (Bron's legacy access) is laclasse: a toodego-only consumer's last item is the
    // termination's EntitlementEnded, but its `next` is the feed's head, so it does not rescan what it may not see.
    const { http, tokens } = current();
    const page = await http
      .get('/api/feed')
      .query({ limit: 100 })
      .set(bearer(tokens.consumerOf(['toodego'])))
      .expect(200);
    expect(page.body.items.at(-1).position).not.toBe(whole.at(-1)!.position);
    expect(page.body.next).toBe(whole.at(-1)!.position);
    // An admin or auditor sees everything: the claim is a consumer's.
    expect(await wholeFeed(tokens.auditor)).toEqual(whole);
  });

  it('refuses malformed or unknown parameters field by field (400 problem+json)', async () => {
    const { http, tokens } = current();
    const cases: Array<[string, string[]]> = [
      ['after=-1', ['after']],
      ['after=abc', ['after']],
      ['after=01', ['after']],
      ['after=1.5', ['after']],
      ['after=12-3', ['after']], // a store position is not a feed position
      ['after=', ['after']],
      ['after=1&after=2', ['after']],
      ['limit=0', ['limit']],
      ['limit=1001', ['limit']],
      ['limit=ten', ['limit']],
      ['minPosition=later', ['minPosition']],
      ['cursor=3', ['cursor']],
      ['after=x&limit=0&from=2026-01-01', ['after', 'limit', 'from']],
    ];
    for (const [query, fields] of cases) {
      const response = await http.get(`/api/feed?${query}`).set(bearer(tokens.consumer));
      expect({
        query,
        status: response.status,
        type: response.headers['content-type'],
        fields: response.body.errors?.map((e: { field: string }) => e.field),
      }).toEqual({
        query,
        status: 400,
        type: expect.stringMatching(/^application\/problem\+json/),
        fields,
      });
    }
    const stream = await http.get('/api/feed/stream?limit=5').set(bearer(tokens.consumer)).expect(400);
    expect(stream.body.errors).toEqual([expect.objectContaining({ field: 'limit' })]);
    const header = await http.get('/api/feed/stream').set(bearer(tokens.consumer)).set('Last-Event-ID', 'abc').expect(400);
    expect(header.body.errors).toEqual([expect.objectContaining({ field: 'Last-Event-ID' })]);
  });

  it('publishes the JSON Schemas: a list, and each version as application/schema+json, without a token', async () => {
    const { http } = current();
    const list = await http.get('/api/feed/schemas').expect(200);
    expect(
      list.body.map((entry: { type: string; version: number; status: string }) => `${entry.type}/${entry.version} ${entry.status}`).sort(),
    ).toEqual([
      'ConventionStatusChanged/1 current',
      'EntitlementChanged/1 current',
      'EntitlementEnded/1 current',
      'EntitlementGranted/1 current',
      'FeeLedgerIssued/1 current',
    ]);
    for (const entry of list.body as Array<{ type: string; version: number; href: string }>) {
      const schema = await http.get(entry.href).expect(200);
      expect(schema.headers['content-type']).toMatch(/^application\/schema\+json/);
      const body = JSON.parse(schema.text);
      expect(body).toMatchObject({
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        properties: { type: { const: entry.type }, version: { const: entry.version } },
      });
    }
    await http.get('/api/feed/schemas/EntitlementGranted/2').expect(404);
    await http.get('/api/feed/schemas/EntitlementRevoked/1').expect(404);
    const bad = await http.get('/api/feed/schemas/EntitlementGranted/one').expect(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'version' })]);
  });

  it('documents the feed routes in OpenAPI', async () => {
    const { body } = await current().http.get('/api/docs-json').expect(200);
    expect(
      Object.keys(body.paths)
        .filter((path) => path.startsWith('/api/feed'))
        .sort(),
    ).toEqual(['/api/feed', '/api/feed/schemas', '/api/feed/schemas/{type}/{version}', '/api/feed/stream', '/api/feed/stream-tokens']);
    expect(Object.keys(body.paths['/api/feed/stream'].get.responses['200'].content)).toEqual(['text/event-stream']);
  });
});
