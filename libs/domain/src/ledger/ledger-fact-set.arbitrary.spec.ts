import fc from 'fast-check';
import {
  annexAdded,
  catalogueOfCp2025_4074,
  conventionSigned,
  conventionTerminated,
  legacyConventionRecorded,
  offerChanged,
  populationRecorded,
  serviceStopped,
  syntecIndexRecorded,
} from '@lib/domain/testing';
import { LedgerFact } from './ledger-fact';

/**
 * Random ledger fact sets for the property tests (not a test itself: no *.unit.spec.ts): communes with
 * populations (corrections common), Syntec values (corrections with other publication dates), legacy
 * conventions with and without L, conventions with annexes, offer changes, stops and terminations,
 * interleaved at random. Each fact is recorded a second after the previous one, in the stream its
 * events are appended to (`convention-<id>`, or `reference`).
 */
export const COMMUNES = ['69001', '69002', '01004'];
const SERVICES: { serviceId: string; offers: string[] }[] = [
  { serviceId: 'toodego', offers: ['partenaire', 'connecte', 'abonne'] },
  { serviceId: 'laclasse', offers: ['standard'] },
];
const date = (year: number, month: number, dayOfMonth: number) =>
  `${year}-${String(month).padStart(2, '0')}-${String(dayOfMonth).padStart(2, '0')}`;
const aDate = (from: number, to: number) =>
  fc.record({ y: fc.integer({ min: from, max: to }), m: fc.integer({ min: 1, max: 12 }), d: fc.integer({ min: 1, max: 28 }) });

type Event = { type: string; data: unknown };

const population = fc
  .record({
    commune: fc.constantFrom(...COMMUNES),
    population: fc.integer({ min: 0, max: 600_000 }),
    year: fc.integer({ min: 2022, max: 2029 }),
  })
  // Few distinct dates, so that corrections (the same commune and date recorded again) are common.
  .map(({ commune, population: value, year }): Event =>
    populationRecorded({ communeInsee: commune, population: value, effectiveDate: `${year}-01-01` }),
  );

const syntec = fc
  .record({
    year: fc.integer({ min: 2023, max: 2029 }),
    month: fc.constantFrom(4, 10, 10),
    value: fc.integer({ min: 2800, max: 3400 }),
    late: fc.boolean(),
  })
  // The same period recorded again is a correction (R-TIME-2), here possibly with another publication date.
  .map(({ year, month, value, late }): Event =>
    syntecIndexRecorded({
      period: `${year}-${String(month).padStart(2, '0')}`,
      value: (value / 10).toFixed(1),
      publishedOn: date(year, month + (late ? 2 : 1), 20),
    }),
  );

const legacy = fc
  .record({
    commune: fc.constantFrom(...COMMUNES),
    service: fc.constantFrom(...SERVICES),
    amount: fc.option(fc.integer({ min: 0, max: 200_000_00 })),
  })
  .map(({ commune, service, amount }): Event =>
    legacyConventionRecorded({
      communeInsee: commune,
      serviceId: service.serviceId,
      offerId: service.offers[0],
      annualContribution: amount === null ? null : (amount / 100).toFixed(2),
    }),
  );

/** A convention's events in an order the deciders could have recorded: signature, annexes, changes, stops, then perhaps a termination. */
const convention = (communeInsee: string, n: number) =>
  fc
    .record({
      // Mostly before R-LEG-2's signature deadline, so that two conventions of a commune often compete for the continuity.
      signed: fc.oneof(aDate(2025, 2025), aDate(2025, 2026)),
      start: fc.constantFrom(2025, 2026, 2026, 2027),
      annexes: fc.uniqueArray(
        fc.record({
          service: fc.constantFrom(...SERVICES),
          offerIndex: fc.nat(),
          // Few distinct days, so that two conventions' annexes often start on the same day (R-LEG-2 then keeps the first).
          fromOffset: fc.constantFrom(0, 0, 0, 59, 181, 365, 400),
          change: fc.option(fc.record({ offerIndex: fc.nat(), after: fc.integer({ min: 1, max: 400 }) })),
          stopAfter: fc.option(fc.integer({ min: 0, max: 500 })),
        }),
        { maxLength: 2, selector: (a) => a.service.serviceId },
      ),
      terminated: fc.option(aDate(2026, 2029)),
    })
    .map(({ signed, start, annexes, terminated }): Event[] => {
      const conventionId = `${communeInsee}-${n}`;
      const signedOn = date(signed.y, signed.m, signed.d);
      const events: Event[] = [
        conventionSigned({
          conventionId,
          communeInsee,
          communeName: `Commune ${communeInsee}`,
          signedOn,
          effectiveFrom: `${start}-01-01`,
          initialPeriodEnd: `${start}-12-31`,
        }),
      ];
      const plus = (days: number, base: string) => new Date(Date.parse(base) + days * 86_400_000).toISOString().slice(0, 10);
      for (const annex of annexes) {
        const { serviceId, offers } = annex.service;
        const offerId = offers[annex.offerIndex % offers.length];
        const from = plus(annex.fromOffset, `${start}-01-01`);
        events.push(annexAdded({ conventionId, serviceId, offerId, effectiveFrom: from }));
        let current = offerId;
        let last = from;
        if (annex.change) {
          const next = offers[annex.change.offerIndex % offers.length];
          if (next !== offerId) {
            last = plus(annex.change.after, from);
            events.push(offerChanged({ conventionId, serviceId, previousOfferId: offerId, offerId: next, effectiveFrom: last }));
            current = next;
          }
        }
        if (annex.stopAfter !== null)
          events.push(serviceStopped({ conventionId, serviceId, offerId: current, effectiveOn: plus(annex.stopAfter, last) }));
      }
      if (terminated) {
        const effectiveOn = date(Math.max(terminated.y, start), terminated.m, terminated.d);
        events.push(conventionTerminated({ conventionId, effectiveOn, lastDay: plus(-1, effectiveOn) }));
      }
      return events;
    });

const conventions = fc
  .array(fc.record({ commune: fc.constantFrom(...COMMUNES), n: fc.integer({ min: 1, max: 3 }) }), { minLength: 1, maxLength: 8 })
  .map((picked) => [...new Map(picked.map((p) => [`${p.commune}-${p.n}`, p])).values()])
  .chain((picked) => fc.tuple(...picked.map((p) => convention(p.commune, p.n))));

/** Reference facts in any order, then the conventions (each in its own order) interleaved with them. */
export const ledgerFactSet = fc
  .record({
    reference: fc
      .tuple(
        fc.array(population, { minLength: 6, maxLength: 30 }),
        fc.array(syntec, { minLength: 2, maxLength: 12 }),
        fc.array(legacy, { minLength: 1, maxLength: 8 }),
      )
      // S(2025) known from the start, so that most lines get as far as a target; a random value may still correct it.
      .chain((parts) => fc.shuffledSubarray(parts.flat(), { minLength: parts.flat().length }))
      .map((events) => [syntecIndexRecorded({ period: '2024-10', value: '300.0', publishedOn: '2024-11-20' }), ...events]),
    conventions,
    seed: fc.nat(),
  })
  .map(({ reference, conventions: streams, seed }) => {
    const queues = [reference, ...streams].map((events) => [...events]);
    const events: Event[] = [...catalogueOfCp2025_4074];
    let state = seed;
    while (queues.some((q) => q.length > 0)) {
      state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
      const open = queues.filter((q) => q.length > 0);
      events.push(open[state % open.length].shift()!);
    }
    return events.map((event, i): LedgerFact => ({
      eventId: `e${i + 1}`,
      position: { commit: i + 1, prepare: i + 1 },
      recordedAt: new Date(Date.parse('2026-01-01T00:00:00.000Z') + i * 1000).toISOString(),
      streamId:
        typeof (event.data as { conventionId?: unknown }).conventionId === 'string'
          ? `convention-${(event.data as { conventionId: string }).conventionId}`
          : 'reference',
      type: event.type,
      data: event.data as Record<string, unknown>,
      reason: null,
    }));
  });
