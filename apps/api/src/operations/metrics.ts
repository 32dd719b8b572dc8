import { Inject, Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { EVENT_STORE, EventStore } from '@lib/event-store/event-store.port';
import { isChainedEventStore } from '@lib/event-store/integrity/event-hash';
import { ProjectionHost } from '../projections/projection-host';
import { withinBound } from '../projections/within-bound';

/** Reading the store's head and the sealer's state on a scrape is bounded: a hung database must not hang the scraper. */
const SCRAPE_BOUND_MS = 2_000;

/**
 * The Prometheus metrics of one app instance (docs/operations.md). Its own registry, not prom-client's
 * global one: several apps in one process (the tests) would otherwise register the same names twice.
 * Projection and sealer gauges are read when scraped, so they cost nothing between scrapes.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();

  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP requests by method, route pattern (or "unmatched") and status, and how long they took',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly commands = new Counter({
    name: 'commands_total',
    help: 'Commands by type (the route handler) and outcome: accepted, the rule id of a refusal (R-…), invalid, stale-version or error',
    labelNames: ['command', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly feedStreams = new Gauge({
    name: 'feed_streams_open',
    help: 'Feed SSE streams (GET /api/feed/stream) open in this process',
    registers: [this.registry],
  });

  constructor(@Inject(EVENT_STORE) store: EventStore, host: ProjectionHost) {
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'projection_position',
      help: "A projection's checkpoint: the commit part of the position of the last event it applied (as this process sees it)",
      labelNames: ['projection'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const { name, position } of host.progress()) this.set({ projection: name }, position.commit);
      },
    });
    new Gauge({
      name: 'projection_lag_events',
      help: 'Events of the store after a projection checkpoint (counted up to 1000)',
      labelNames: ['projection'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        const lags = await withinBound(host.lags(SCRAPE_BOUND_MS), SCRAPE_BOUND_MS).catch(() => []);
        for (const { name, lagEvents } of lags) this.set({ projection: name }, lagEvents);
      },
    });
    const sealState = async () =>
      isChainedEventStore(store) && store.sealState ? withinBound(store.sealState(), SCRAPE_BOUND_MS).catch(() => undefined) : undefined;
    new Gauge({
      name: 'audit_unsealed_events',
      help: 'Acknowledged events the chain/tree sealer has not sealed yet (stores that seal after the append)',
      registers: [this.registry],
      async collect() {
        const state = await sealState();
        if (state) this.set(state.tail.count);
      },
    });
    new Gauge({
      name: 'audit_unsealed_oldest_age_seconds',
      help: 'Age of the oldest event the sealer has not sealed yet; 0 when every event is sealed',
      registers: [this.registry],
      async collect() {
        const state = await sealState();
        if (state) this.set((state.tail.oldestAgeMs ?? 0) / 1000);
      },
    });
  }
}
