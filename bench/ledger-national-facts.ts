/**
 * The national set of ledger facts both ledger benchmarks use, built with the domain's builders:
 * `communes` communes, each with a convention (one or two annexes, an offer change for some), 8
 * population figures over the years (a correction for some), a legacy convention for a share of them,
 * monthly Syntec values, the catalogue. Facts are recorded one millisecond apart from 2026-01-01, so
 * that a `knownAt` halfway through the set is meaningful.
 */
import { LedgerFact } from '@lib/domain/ledger';
import {
  annexAdded,
  catalogueOfCp2025_4074,
  conventionSigned,
  legacyConventionRecorded,
  offerChanged,
  populationRecorded,
  syntecIndexRecorded,
} from '@lib/domain/testing';

const LEGACY_SHARE = 0.3;
export const NATIONAL_FACTS_START = Date.parse('2026-01-01T00:00:00.000Z');

/** A fact as the fee-ledger read model stores it: with its commune (null for the facts about every commune). */
export interface NationalFact extends LedgerFact {
  readonly communeInsee: string | null;
}

export function nationalLedgerFacts(communes: number, year: number): NationalFact[] {
  const events: { type: string; data: unknown; communeInsee: string | null }[] = catalogueOfCp2025_4074.map((event) => ({
    ...event,
    communeInsee: null,
  }));
  // Monthly Syntec values 2019-01 … 2027-10, each published at the end of the next month.
  for (let y = 2019; y <= 2027; y++) {
    for (let m = 1; m <= (y === 2027 ? 10 : 12); m++) {
      const next = m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
      const value = (290 + (y - 2019) * 6 + m * 0.4).toFixed(1);
      events.push({
        ...syntecIndexRecorded({ period: `${y}-${String(m).padStart(2, '0')}`, value, publishedOn: `${next}-25` }),
        communeInsee: null,
      });
    }
  }
  for (let i = 0; i < communes; i++) {
    const communeInsee = String(10_000 + i);
    const communeName = `Commune ${i}`;
    const conventionId = `${communeInsee}-1`;
    const push = (event: { type: string; data: unknown }) => events.push({ ...event, communeInsee });
    // Populations interleave with the conventions in the global order, as they would be recorded.
    for (let y = 2019; y <= 2026; y++) {
      push(populationRecorded({ communeInsee, population: 500 + ((i * 37 + y) % 90_000), effectiveDate: `${y}-01-01` }));
    }
    if (i % 10 === 0) push(populationRecorded({ communeInsee, population: 600 + (i % 1000), effectiveDate: '2025-01-01' }));
    if (i % 10 < LEGACY_SHARE * 10) {
      push(legacyConventionRecorded({ communeInsee, communeName, annualContribution: (1_000 + (i % 5_000)).toFixed(2) }));
    }
    push(conventionSigned({ conventionId, communeInsee, communeName, signedOn: '2025-11-15' }));
    push(annexAdded({ conventionId, serviceId: 'toodego', offerId: 'partenaire', effectiveFrom: '2026-01-01' }));
    if (i % 2 === 0) push(annexAdded({ conventionId, serviceId: 'laclasse', offerId: 'standard', effectiveFrom: '2026-03-01' }));
    if (i % 7 === 0) push(offerChanged({ conventionId, offerId: 'connecte', effectiveFrom: `${year}-07-01` }));
  }
  return events.map((event, i) => ({
    eventId: `e${i + 1}`,
    position: { commit: i + 1, prepare: i + 1 },
    recordedAt: new Date(NATIONAL_FACTS_START + i).toISOString(),
    streamId: event.communeInsee === null ? 'reference' : `commune-${event.communeInsee}`,
    type: event.type,
    data: event.data as Record<string, unknown>,
    reason: null,
    communeInsee: event.communeInsee,
  }));
}
