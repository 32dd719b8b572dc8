import { ConsumerState, FeedConsumer, FeedEvent, MemoryStateStore, entitlementsOn } from '../examples/feed-consumer';
import { bearer, describeE2E } from './support/app';
import { FeedItemBody, baseUrlOf, readWholeFeed } from './support/feed-sse';
import { invalidFeedEvents } from './support/feed-schemas';
import { ScenarioResult, runCommandScenario, seededRandom } from './support/feed-scenario';

/** FEED_SEED replays a run; the seed is printed with any failure. */
const SEED = Number(process.env.FEED_SEED ?? 20260601);
const COMMANDS = 70;

interface EntitlementLine {
  serviceId: string;
  offerId: string;
  from: string | null;
  until: string | null;
  source: { kind: string; id: string; annexFrom?: string };
}
type Grouped = Array<{ communeInsee: string; entitlements: EntitlementLine[] }>;

/** One comparable form: communes in order, each commune's accesses sorted, empty communes left out. */
function normalised(groups: Grouped): Array<{ communeInsee: string; entitlements: string[] }> {
  return groups
    .map(({ communeInsee, entitlements }) => ({
      communeInsee,
      entitlements: entitlements
        .map((e) => JSON.stringify([e.serviceId, e.offerId, e.from, e.until, e.source.kind, e.source.id, e.source.annexFrom ?? null]))
        .sort(),
    }))
    .filter((group) => group.entitlements.length > 0)
    .sort((a, b) => (a.communeInsee < b.communeInsee ? -1 : 1));
}

/**
 * The feed's promise to its consumers: one that disconnects at random points while commands keep arriving, and
 * resumes from its last id, ends with exactly the events the feed holds, once each, in order; its local
 * read model equals GET /api/entitlements. The consumer is the example one (examples/feed-consumer.ts),
 * restarted from its saved state after each disconnection, on a real socket.
 */
describeE2E(
  'feed: a consumer that keeps disconnecting while commands arrive',
  (current) => {
    let scenario: ScenarioResult;
    /** Every event the consumer applied, over all its lives, in the order it applied them. */
    const applied: FeedEvent[] = [];
    let state: ConsumerState;
    let sessions = 0;
    let cutMidStream = 0;
    let feed: FeedItemBody[] = [];

    beforeAll(async () => {
      const app = current();
      const baseUrl = await baseUrlOf(app.app);
      // Two generators: the commands are then the same on every run of a seed, whatever the timing of the consumer's lives.
      const commandDice = seededRandom(SEED);
      const random = seededRandom(SEED + 1);
      const store = new MemoryStateStore();
      let commandsDone = false;
      /** The life in progress: cut when the commands are done, as a life waiting for k more events would wait forever. */
      let ongoing: AbortController | undefined;

      /** One life of the consumer: restored from the store, cut after k events or after t ms, whichever the dice say. */
      const life = async (stopWhen?: (state: ConsumerState) => boolean) => {
        const abort = new AbortController();
        ongoing = abort;
        const byCount = random() < 0.5;
        const limit = Math.floor(random() * 6);
        let seen = 0;
        const consumer = new FeedConsumer({
          baseUrl,
          token: app.tokens.consumer,
          store,
          idleTimeoutMs: 10_000,
          onEvent: (event, now) => {
            applied.push(event);
            seen += 1;
            if (stopWhen ? stopWhen(now) : byCount && seen >= limit) abort.abort();
          },
        });
        await consumer.load();
        const timer = !stopWhen && !byCount ? setTimeout(() => abort.abort(), Math.floor(random() * 120)) : undefined;
        if (stopWhen?.(consumer.state)) abort.abort();
        await consumer.follow(abort.signal);
        clearTimeout(timer);
        if (!stopWhen && !byCount) cutMidStream += 1;
        sessions += 1;
        state = consumer.state;
      };

      const consuming = (async () => {
        while (!commandsDone) await life();
      })();
      try {
        scenario = await runCommandScenario(app, commandDice, COMMANDS);
      } finally {
        commandsDone = true;
        ongoing?.abort();
        await consuming;
      }
      feed = await readWholeFeed(app.http, app.tokens.consumer, { minPosition: scenario.lastPosition });
      // A last life, until the consumer holds the feed's last event.
      const lastPosition = feed.at(-1)?.position ?? null;
      await life((now) => now.lastEventId === lastPosition);
    }, 120_000);

    it(`the commands ran and the consumer was cut many times (seed ${SEED})`, () => {
      expect(scenario.accepted).toBeGreaterThan(scenario.commands / 2);
      expect(feed.length).toBeGreaterThan(30);
      expect(sessions).toBeGreaterThan(10);
      expect(cutMidStream).toBeGreaterThan(3);
    });

    it(`received exactly the events the feed holds, once each, in order (seed ${SEED})`, () => {
      expect(applied.map((event) => event.position)).toEqual(feed.map((item) => item.position));
      expect(applied).toEqual(feed);
      expect(state.lastEventId).toBe(feed.at(-1)!.position);
    });

    it(`every event it received validates against its JSON Schema (seed ${SEED})`, () => {
      expect(invalidFeedEvents(applied)).toEqual([]);
      const types = new Set(applied.map((event) => event.type));
      expect(['ConventionStatusChanged', 'EntitlementGranted', 'EntitlementEnded'].filter((type) => !types.has(type))).toEqual([]);
    });

    it(`its read model equals GET /api/entitlements on every day where something starts or ends, and around them (seed ${SEED})`, async () => {
      const { http, tokens } = current();
      const days = new Set(['2018-01-01', '2024-12-31', '2025-06-15', '2026-01-01', '2035-01-01']);
      for (const snapshot of Object.values(state.entitlements)) {
        for (const period of snapshot.offers) {
          for (const day of [period.from, period.until]) if (day) days.add(day);
          if (period.until) days.add(nextDay(period.until));
          if (period.from) days.add(nextDay(period.from, -1));
        }
      }
      expect(days.size).toBeGreaterThan(20);
      for (const on of [...days].sort()) {
        const response = await http
          .get('/api/entitlements')
          .query({ on, minPosition: scenario.lastPosition })
          .set(bearer(tokens.consumer))
          .expect(200);
        expect({ on, model: normalised(entitlementsOn(state, on)) }).toEqual({ on, model: normalised(response.body) });
      }
    });

    it(`its convention statuses match the conventions' own (seed ${SEED})`, async () => {
      const { http, tokens } = current();
      expect(Object.keys(state.conventions).sort()).toEqual([...scenario.conventionIds].sort());
      for (const id of scenario.conventionIds) {
        const { body } = await http.get(`/api/conventions/${id}`).set(bearer(tokens.admin)).expect(200);
        expect({ id, status: state.conventions[id].status }).toEqual({ id, status: body.status });
      }
    });
  },
  { FEED_HEARTBEAT_MS: '200' },
);

function nextDay(day: string, by = 1): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + by);
  return date.toISOString().slice(0, 10);
}
