import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CATALOGUE_STREAM, CatalogueEvent, CatalogueEventType } from '@lib/domain/catalogue';
import { CONVENTION_STREAM_PREFIX, ConventionEvent, ConventionEventType } from '@lib/domain/convention';
import { COMMUNE_STREAM_PREFIX, CommuneEvent, CommuneEventType, SYNTEC_STREAM, SyntecEvent, SyntecEventType } from '@lib/domain/reference';
import { CalendarDate, calendarDate } from '@lib/domain/shared/calendar-date';
import { MoneyString, money } from '@lib/domain/shared/money';
import { RecordedEvent } from '@lib/event-store/event-store.port';
import { FeeLedgerLine, LEDGER_STREAM_PREFIX, LedgerEvent, LedgerEventType } from '@lib/domain/ledger';

/*
 * docs/events.md is the catalogue auditors and downstream teams read. This keeps it from
 * silently falling behind the code: every event type has its `### `Type`` section, every field of an
 * event's data is named in it, and every field its tables list exists.
 *
 * The examples below are typed `Complete<…>`: every optional field made required, so adding a field to
 * an event's interface fails the type check here until the example has it — and then this test, until
 * the doc lists it. (A union member, such as a fee schedule's kind, is not forced: the examples take the
 * fullest one.)
 */
type Complete<T> = T extends string | number | boolean | null | undefined
  ? T
  : T extends readonly (infer U)[]
    ? Complete<U>[]
    : T extends object
      ? { -readonly [K in keyof T]-?: Complete<Exclude<T[K], undefined>> }
      : T;

type AnyEvent = ConventionEvent | CatalogueEvent | CommuneEvent | SyntecEvent | LedgerEvent;
type Example<E extends AnyEvent> = { schemaVersion: E['schemaVersion']; data: Complete<E['data']> };

const d = (text: string): CalendarDate => calendarDate(text);
const m = (text: string): MoneyString => money(text);

const period = { start: d('2026-01-01'), end: d('2026-12-31') };
const schedule = {
  kind: 'fixed_plus_per_inhabitant',
  fixed: m('5000.00'),
  perInhabitant: '0.20',
  baseYear: 2025,
  indexation: 'syntec',
  proration: 'none',
} as const;
const line: Complete<FeeLedgerLine> = {
  lineId: '69123-1/toodego/partenaire/2026-01-01',
  conventionId: '69123-1',
  year: 2026,
  communeInsee: '69123',
  communeName: 'Lyon',
  serviceId: 'toodego',
  offerId: 'partenaire',
  feeScheduleKind: 'fixed_plus_per_inhabitant',
  inForceFrom: d('2026-01-01'),
  inForceUntil: d('2026-12-31'),
  population: 522250,
  populationEffectiveDate: d('2025-01-01'),
  populationSource: 'INSEE',
  populationEventId: 'e1',
  fixed: m('5000.00'),
  perInhabitant: '0.20',
  baseAmount: '109450.00',
  indexValue: '306.0',
  indexPeriod: '2025-11',
  baseIndexValue: '300.0',
  baseIndexPeriod: '2024-11',
  coefficient: '1.02',
  targetAmount: m('111639.00'),
  legacyAmount: m('90000.00'),
  capAmount: m('99000.00'),
  annualAmount: m('99000.00'),
  annualAmountBasis: 'cap',
  daysInForce: 365,
  daysInYear: 365,
  amountDue: m('99000.00'),
  status: 'final',
  pendingReason: 'population_missing',
  pendingYear: 2026,
};

const EXAMPLES: { [T in AnyEvent['type']]: Example<Extract<AnyEvent, { type: T }>> } = {
  ConventionSigned: {
    schemaVersion: 1,
    data: {
      conventionId: '69123-1',
      communeInsee: '69123',
      communeName: 'Lyon',
      signedOn: d('2025-11-15'),
      effectiveFrom: d('2026-01-01'),
      legalReference: 'CP-2025-4074',
      initialPeriod: period,
    },
  },
  AnnexAdded: {
    schemaVersion: 1,
    data: { conventionId: '69123-1', serviceId: 'toodego', offerId: 'partenaire', effectiveFrom: d('2026-01-01') },
  },
  ServiceStopped: {
    schemaVersion: 1,
    data: { conventionId: '69123-1', serviceId: 'toodego', offerId: 'partenaire', effectiveOn: d('2026-07-01'), reason: 'r' },
  },
  OfferChanged: {
    schemaVersion: 1,
    data: {
      conventionId: '69123-1',
      serviceId: 'toodego',
      previousOfferId: 'partenaire',
      offerId: 'connecte',
      effectiveFrom: d('2026-09-01'),
    },
  },
  NonRenewalNotified: {
    schemaVersion: 1,
    data: { conventionId: '69123-1', notifiedOn: d('2026-10-15'), by: 'commune', reason: 'r', appliesToPeriod: { number: 1, ...period } },
  },
  ConventionTerminated: {
    schemaVersion: 1,
    data: { conventionId: '69123-1', effectiveOn: d('2026-07-01'), lastDay: d('2026-06-30'), by: 'metropole', reason: 'r' },
  },
  ConventionRenewed: { schemaVersion: 1, data: { conventionId: '69123-1', renewalNumber: 1, period } },
  ConventionExpired: { schemaVersion: 1, data: { conventionId: '69123-1', lastDay: d('2031-12-31'), reason: 'max_duration' } },
  ServiceEnteredCatalogue: {
    schemaVersion: 1,
    data: {
      serviceId: 'toodego',
      name: 'Toodego',
      legalReference: 'CP-2025-4074',
      effectiveFrom: d('2025-04-14'),
      offers: [{ offerId: 'partenaire', name: 'Partenaire', open: true, feeSchedule: schedule }],
    },
  },
  OfferOpened: {
    schemaVersion: 1,
    data: { serviceId: 'toodego', offerId: 'abonne', openedOn: d('2027-01-01'), legalReference: 'CP-2026-0042' },
  },
  FeeScheduleReplaced: {
    schemaVersion: 1,
    data: { serviceId: 'toodego', offerId: 'abonne', fromYear: 2027, feeSchedule: schedule, legalReference: 'CP-2027-0100' },
  },
  PopulationRecorded: {
    schemaVersion: 1,
    data: {
      communeInsee: '69123',
      population: 522250,
      effectiveDate: d('2025-01-01'),
      source: 'INSEE',
      corrects: { population: 522000, source: 'INSEE', reason: 'r' },
    },
  },
  LegacyConventionRecorded: {
    schemaVersion: 1,
    data: {
      communeInsee: '69029',
      communeName: 'Bron',
      serviceId: 'toodego',
      offerId: 'partenaire',
      annualContribution: m('90000.00'),
      year: 2025,
      startDate: d('2019-01-01'),
      corrects: { offerId: 'connecte', annualContribution: null, startDate: null, reason: 'r' },
    },
  },
  LegacyAccessEnded: {
    schemaVersion: 1,
    data: {
      communeInsee: '69029',
      serviceId: 'toodego',
      lastDay: d('2025-12-31'),
      reason: 'continued_by_convention',
      conventionId: '69029-1',
      annexFrom: d('2026-01-01'),
      corrects: { lastDay: d('2025-12-31'), reason: 'no_continuity', conventionId: null },
    },
  },
  SyntecIndexRecorded: {
    schemaVersion: 1,
    data: {
      period: '2025-10',
      value: '322.2',
      publishedOn: d('2025-11-28'),
      corrects: { value: '322.0', publishedOn: d('2025-11-27'), reason: 'r' },
    },
  },
  LedgerIssued: {
    schemaVersion: 1,
    data: {
      year: 2026,
      issueNumber: 2,
      basedOn: { position: '812-40', at: '2027-01-10T09:00:00.000Z' },
      lines: [line],
      regularisations: [
        {
          lineId: line.lineId,
          conventionId: line.conventionId,
          communeInsee: line.communeInsee,
          communeName: line.communeName,
          serviceId: line.serviceId,
          offerId: line.offerId,
          inForceFrom: line.inForceFrom,
          inForceUntil: line.inForceUntil,
          issuedAmount: m('99000.00'),
          currentAmount: m('98000.00'),
          difference: m('-1000.00'),
          reason: 'amount_changed',
          causes: [{ eventId: 'e2', type: 'PopulationRecorded', position: '800-1', recordedAt: '2027-01-05T10:00:00.000Z', reason: 'r' }],
          line,
        },
      ],
      pendingLines: [
        {
          lineId: 'x',
          communeInsee: '69029',
          serviceId: 'toodego',
          offerId: 'partenaire',
          pendingReason: 'legacy_amount_missing',
          pendingYear: 2025,
        },
      ],
      totals: { byCommune: [{ communeInsee: '69123', communeName: 'Lyon', amount: m('-1000.00'), entries: 1 }], grandTotal: m('-1000.00') },
    },
  },
};

/** The envelope and its metadata, complete: each of their fields must be described in the doc's intro. */
const ENVELOPE: Complete<RecordedEvent> = {
  id: 'e1',
  type: 'AnnexAdded',
  schemaVersion: 1,
  data: {},
  metadata: {
    actor: { id: 'admin-1', role: 'admin' },
    reason: 'r',
    legalReference: 'l',
    commandId: 'c',
    correlationId: 'c',
    causationId: 'c',
  },
  streamId: 'convention-69123-1',
  revision: 0,
  position: { commit: 1, prepare: 1 },
  recordedAt: '2026-03-02T09:15:00.123Z',
};

const DOC = readFileSync(join(__dirname, '../../../docs/events.md'), 'utf8');
const LINES = DOC.split('\n');

/** Every key of an object, at any depth (through arrays too). */
function keyNames(value: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) value.forEach((item) => keyNames(item, into));
  else if (value !== null && typeof value === 'object')
    for (const [key, inner] of Object.entries(value)) {
      into.add(key);
      keyNames(inner, into);
    }
  return into;
}

/** The words written as code (`…`) in a text: field names, including those in `{a, b}` type cells. */
function codeWords(text: string): Set<string> {
  const words = new Set<string>();
  for (const [, code] of text.matchAll(/`([^`]+)`/g)) for (const word of code.split(/[^A-Za-z0-9_]+/)) if (word) words.add(word);
  return words;
}

/** The lines from a heading matching `start` up to the next heading of level `maxLevel` or above. */
function sectionOf(start: (line: string) => boolean, maxLevel: number): string {
  const from = LINES.findIndex(start);
  if (from < 0) return '';
  const next = LINES.findIndex((line, index) => index > from && new RegExp(`^#{1,${maxLevel}} `).test(line));
  return LINES.slice(from, next < 0 ? undefined : next).join('\n');
}

const TYPE_HEADING = /^### `(\w+)` \(schema version (\d+)\)$/;
const headingOf = (type: string) => (line: string) => TYPE_HEADING.exec(line)?.[1] === type;

/** An event's section, and the introduction of its stream family (shared shapes such as the fee schedule). */
function sectionsFor(type: string): { own: string; family: string } {
  const at = LINES.findIndex(headingOf(type));
  const familyStart = LINES.slice(0, at + 1).findLastIndex((line) => line.startsWith('## '));
  const familyIntro = LINES.slice(
    familyStart,
    LINES.findIndex((line, index) => index > familyStart && /^#{2,3} /.test(line)),
  );
  return { own: sectionOf(headingOf(type), 3), family: familyIntro.join('\n') };
}

/** The first cell of each row of the field tables in a section (not the header or separator rows). */
function firstCells(section: string): string[] {
  return section
    .split('\n')
    .filter((line) => line.startsWith('| ') && !line.startsWith('| field |') && !line.startsWith('| --- |'))
    .map((line) => line.split('|')[1]);
}

const EVENT_TYPES = [ConventionEventType, CatalogueEventType, CommuneEventType, SyntecEventType, LedgerEventType].flatMap((constants) =>
  Object.values(constants),
);

describe('docs/events.md, the catalogue of internal events', () => {
  it('has one `### `Type`` section per event type the domain exports, and none for a type that does not exist', () => {
    const headings = LINES.map((line) => TYPE_HEADING.exec(line)?.[1]).filter((type): type is string => type !== undefined);
    expect(EVENT_TYPES.filter((type) => !headings.includes(type))).toEqual([]);
    expect(headings.filter((type) => !(EVENT_TYPES as string[]).includes(type))).toEqual([]);
    expect(headings.length).toBe(new Set(headings).size);
  });

  it('has a complete example here for every exported event type (so the field checks below cover them all)', () => {
    expect(Object.keys(EXAMPLES).sort()).toEqual([...EVENT_TYPES].sort());
  });

  describe.each(Object.entries(EXAMPLES))('%s', (type, example) => {
    it('states the current schema version in its heading', () => {
      const heading = LINES.find(headingOf(type));
      expect(heading).toBe(`### \`${type}\` (schema version ${example.schemaVersion})`);
    });

    it('names every field of its data', () => {
      const { own, family } = sectionsFor(type);
      const documented = new Set([...codeWords(own), ...codeWords(family)]);
      expect([...keyNames(example.data)].filter((key) => !documented.has(key))).toEqual([]);
    });

    it('lists no field its data does not have', () => {
      const fields = keyNames(example.data);
      const listed = firstCells(sectionsFor(type).own).flatMap((cell) => [...codeWords(cell)]);
      expect(listed.length).toBeGreaterThan(0);
      expect(listed.filter((word) => !fields.has(word))).toEqual([]);
    });
  });

  it('describes every field of the envelope and its metadata', () => {
    const intro = sectionOf((line) => line === '## What an event is here', 2);
    const documented = codeWords(intro);
    expect([...keyNames(ENVELOPE)].filter((key) => !documented.has(key))).toEqual([]);
  });

  it('lists every stream family', () => {
    const streams = sectionOf((line) => line === '## Streams', 2);
    const rows = firstCells(streams);
    for (const prefix of [CONVENTION_STREAM_PREFIX, COMMUNE_STREAM_PREFIX, LEDGER_STREAM_PREFIX])
      expect(rows.some((cell) => cell.trim().startsWith(`\`${prefix}<`))).toBe(true);
    for (const stream of [CATALOGUE_STREAM, SYNTEC_STREAM]) expect(rows.some((cell) => cell.trim() === `\`${stream}\``)).toBe(true);
  });
});
