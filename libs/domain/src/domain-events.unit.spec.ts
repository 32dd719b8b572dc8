import { toDomainEvent } from './domain-events';

describe('upcasters (events keep the schema version they were written with; reads get the current shape)', () => {
  it('lifts ConventionSigned@0 to version 1: the model convention’s legal reference, the first period of R-CONV-3', () => {
    const v0 = {
      conventionId: '69300-1',
      communeInsee: '69300',
      communeName: 'Pilot',
      signedOn: '2025-10-01',
      effectiveFrom: '2024-02-29',
    };
    expect(toDomainEvent({ type: 'ConventionSigned', schemaVersion: 0, data: v0 })).toEqual({
      type: 'ConventionSigned',
      schemaVersion: 1,
      // 29 February 2024 + one year: the day before 1 March 2025 (R-CONV-3).
      data: { ...v0, legalReference: 'CP-2025-4074', initialPeriod: { start: '2024-02-29', end: '2025-02-28' } },
    });
  });

  it('keeps a legal reference a version 0 event happens to carry', () => {
    const v0 = {
      conventionId: '69300-1',
      communeInsee: '69300',
      communeName: 'Pilot',
      signedOn: '2025-10-01',
      effectiveFrom: '2025-11-01',
      legalReference: 'DEL-2025-9',
    };
    expect(toDomainEvent({ type: 'ConventionSigned', schemaVersion: 0, data: v0 }).data).toMatchObject({
      legalReference: 'DEL-2025-9',
      initialPeriod: { start: '2025-11-01', end: '2026-10-31' },
    });
  });

  it('renames AnnexAdded@0 fields service, offer, from', () => {
    expect(
      toDomainEvent({
        type: 'AnnexAdded',
        schemaVersion: 0,
        data: { conventionId: '69300-1', service: 'toodego', offer: 'connecte', from: '2025-11-01' },
      }),
    ).toEqual({
      type: 'AnnexAdded',
      schemaVersion: 1,
      data: { conventionId: '69300-1', serviceId: 'toodego', offerId: 'connecte', effectiveFrom: '2025-11-01' },
    });
  });

  it('leaves current versions and unknown types as they are', () => {
    const current = {
      type: 'AnnexAdded',
      schemaVersion: 1,
      data: { conventionId: 'x', serviceId: 'toodego', offerId: 'partenaire', effectiveFrom: '2026-01-01' },
    };
    expect(toDomainEvent(current)).toEqual(current);
    expect(toDomainEvent({ type: 'Unknown', schemaVersion: 0, data: { a: 1 } })).toEqual({
      type: 'Unknown',
      schemaVersion: 0,
      data: { a: 1 },
    });
  });
});
