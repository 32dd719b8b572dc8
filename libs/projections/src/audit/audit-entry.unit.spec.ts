import { RecordedEvent } from '@lib/event-store/event-store.port';
import { auditEntryOf, businessDateOf } from './audit-entry';

const recorded = (type: string, data: unknown, metadata: RecordedEvent['metadata'] = {}, schemaVersion = 1): RecordedEvent => ({
  id: '00000000-0000-4000-8000-000000000001',
  type,
  schemaVersion,
  data,
  metadata,
  streamId: 'convention-69123-1',
  revision: 3,
  position: { commit: 812, prepare: 40 },
  recordedAt: '2026-03-02T09:15:00.123Z',
});

describe('business date of an event: the first day it applies (R-TIME-3)', () => {
  it.each([
    ['ConventionSigned', { effectiveFrom: '2026-01-01' }, '2026-01-01'],
    ['AnnexAdded', { effectiveFrom: '2026-02-01' }, '2026-02-01'],
    ['ServiceStopped', { effectiveOn: '2026-09-01' }, '2026-09-01'],
    ['OfferChanged', { effectiveFrom: '2026-06-01' }, '2026-06-01'],
    ['NonRenewalNotified', { notifiedOn: '2026-05-10' }, '2026-05-10'],
    ['ConventionTerminated', { effectiveOn: '2026-07-01', lastDay: '2026-06-30' }, '2026-07-01'],
    ['ConventionRenewed', { period: { start: '2027-01-01', end: '2027-12-31' } }, '2027-01-01'],
    // Ends recorded by their last day apply from the day after.
    ['ConventionExpired', { lastDay: '2031-12-31' }, '2032-01-01'],
    ['LegacyAccessEnded', { lastDay: '2025-12-31' }, '2026-01-01'],
    ['PopulationRecorded', { effectiveDate: '2025-01-01' }, '2025-01-01'],
    ['LegacyConventionRecorded', { startDate: null }, null],
    ['SyntecIndexRecorded', { publishedOn: '2025-11-28' }, '2025-11-28'],
    ['OfferOpened', { openedOn: '2026-09-01' }, '2026-09-01'],
    ['FeeScheduleReplaced', { fromYear: 2027 }, '2027-01-01'],
    ['LedgerIssued', { year: 2026 }, null],
  ])('%s', (type, data, expected) => {
    expect(businessDateOf({ type, schemaVersion: 1, data })).toBe(expected);
  });

  it('reads an old schema version through its upcaster (AnnexAdded@0 carries `from`)', () => {
    expect(
      businessDateOf({
        type: 'AnnexAdded',
        schemaVersion: 0,
        data: { conventionId: 'x', service: 'toodego', offer: 'partenaire', from: '2025-11-01' },
      }),
    ).toBe('2025-11-01');
  });
});

describe('audit entry (R-AUD-1)', () => {
  it('shows who, why, when and the ids, the command’s reason first, else the one the fact carries', () => {
    const metadata = {
      actor: { id: 'alice', role: 'admin' },
      legalReference: 'DEL-1',
      commandId: 'c1',
      correlationId: 'k1',
      causationId: 'c1',
    };
    expect(auditEntryOf(recorded('ServiceStopped', { effectiveOn: '2026-09-01', reason: 'Fin' }, metadata), 'ab')).toEqual({
      position: '812-40',
      eventId: '00000000-0000-4000-8000-000000000001',
      streamId: 'convention-69123-1',
      revision: 3,
      type: 'ServiceStopped',
      schemaVersion: 1,
      businessDate: '2026-09-01',
      recordedAt: '2026-03-02T09:15:00.123Z',
      actor: { id: 'alice', role: 'admin' },
      reason: 'Fin',
      legalReference: 'DEL-1',
      commandId: 'c1',
      correlationId: 'k1',
      causationId: 'c1',
      data: { effectiveOn: '2026-09-01', reason: 'Fin' },
      hash: 'ab',
    });
    expect(auditEntryOf(recorded('ServiceStopped', { reason: 'Fin' }, { reason: 'Délibération' })).reason).toBe('Délibération');
    expect(auditEntryOf(recorded('PopulationRecorded', { corrects: { reason: 'Typo' } })).reason).toBe('Typo');
    expect(auditEntryOf(recorded('ConventionSigned', { legalReference: 'CP-2025-4074' })).legalReference).toBe('CP-2025-4074');
  });

  it('gives null for what an event does not carry', () => {
    expect(auditEntryOf(recorded('Happened', null))).toMatchObject({
      actor: null,
      reason: null,
      legalReference: null,
      commandId: null,
      businessDate: null,
    });
  });
});
