import { randomUUID } from 'node:crypto';
import { EventToAppend } from '@lib/event-store/event-store.port';
import { percentile } from './stats';

export interface AppendFigures {
  writers: number;
  events: number;
  eventsPerSecond: number;
  p50: number;
  p99: number;
}

/** Appends one event to `streamId`; each writer keeps to streams of its own, so expectations never conflict. */
export type AppendOne = (streamId: string, event: EventToAppend) => Promise<unknown>;

/** `writers` concurrent loops sharing `appends` single-event appends, each writer on streams of its own. */
export async function appendBench(append: AppendOne, writers: number, appends: number): Promise<AppendFigures> {
  const latencies: number[] = [];
  const run = randomUUID().slice(0, 8);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async (_, writer) => {
      for (let i = writer; i < appends; i += writers) {
        const t0 = performance.now();
        await append(`bench-${run}-${writer}-${i % 50}`, benchEvent());
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    writers,
    events: appends,
    eventsPerSecond: appends / seconds,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
  };
}

/** An event of the size the product writes: a few business fields and full metadata (R-AUD-1). */
export function benchEvent(): EventToAppend {
  return {
    id: randomUUID(),
    type: 'AnnexAdded',
    schemaVersion: 1,
    data: { conventionId: randomUUID(), serviceId: 'toodego', offerId: 'partenaire', effectiveFrom: '2026-01-01', communeInsee: '69123' },
    metadata: {
      actor: { id: 'bench', role: 'admin' },
      reason: 'benchmark',
      legalReference: 'CP-2025-4074',
      commandId: randomUUID(),
      correlationId: randomUUID(),
      causationId: randomUUID(),
    },
  };
}
