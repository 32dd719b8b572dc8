import fc from 'fast-check';
import { isRefusal } from '../shared/refusal';
import { dec } from '../shared/money';
import { FeeLedgerLine, IssuedLedger, LedgerFact, LedgerIssued } from '.';
import { IssueLedgerContext, issueLedgerDecider } from './issue-ledger.decider';

/** A line as the ledger computes it; only what issuing reads is set. */
function line(
  commune: string,
  service: string,
  amountDue: string | null,
  pendingReason: FeeLedgerLine['pendingReason'] = amountDue === null ? 'population_missing' : null,
): FeeLedgerLine {
  return {
    lineId: `${commune}-1/${service}/std/2026-01-01`,
    conventionId: `${commune}-1`,
    year: 2026,
    communeInsee: commune,
    communeName: `Commune ${commune}`,
    serviceId: service,
    offerId: 'std',
    inForceFrom: '2026-01-01',
    inForceUntil: '2026-12-31',
    amountDue,
    status: amountDue === null ? 'pending' : 'final',
    pendingReason,
    pendingYear: amountDue === null ? 2026 : null,
  } as unknown as FeeLedgerLine;
}

function fact(n: number, type: string, data: Record<string, unknown>): LedgerFact {
  return {
    eventId: `fact-${n}`,
    position: { commit: n, prepare: n },
    recordedAt: '2026-03-01T00:00:00.000Z',
    streamId: 's',
    type,
    data,
    reason: null,
  };
}

const basedOn = (n: number) => ({ position: `${n}-${n}`, at: '2026-03-01T00:00:00.000Z' });

function issue(state: IssuedLedger, lines: FeeLedgerLine[], facts: LedgerFact[] = [], at = 1): LedgerIssued[] {
  const context: IssueLedgerContext = { lines, facts, basedOn: basedOn(at) };
  const decided = issueLedgerDecider.decide({ type: 'IssueLedger', data: { year: 2026 } }, state, context);
  if (isRefusal(decided)) throw new Error('refused');
  return decided;
}
const after = (...events: LedgerIssued[]) => events.reduce(issueLedgerDecider.evolve, issueLedgerDecider.initialState());

describe('IssueLedger', () => {
  it('the first issue records every final line; pending lines are listed, never issued', () => {
    const [event] = issue(after(), [line('69001', 'a', '100.00'), line('69001', 'b', null), line('69002', 'a', '0.00')]);
    expect(event.data).toMatchObject({ year: 2026, issueNumber: 1, regularisations: [], basedOn: basedOn(1) });
    expect(event.data.lines.map((l) => l.lineId)).toEqual(['69001-1/a/std/2026-01-01', '69002-1/a/std/2026-01-01']);
    expect(event.data.pendingLines).toEqual([
      {
        lineId: '69001-1/b/std/2026-01-01',
        communeInsee: '69001',
        serviceId: 'b',
        offerId: 'std',
        pendingReason: 'population_missing',
        pendingYear: 2026,
      },
    ]);
    expect(event.data.totals).toEqual({
      byCommune: [
        { communeInsee: '69001', communeName: 'Commune 69001', amount: '100.00', entries: 1 },
        { communeInsee: '69002', communeName: 'Commune 69002', amount: '0.00', entries: 1 },
      ],
      grandTotal: '100.00',
    });
  });

  it('records nothing when no line is final, or when nothing changed since the last issue', () => {
    expect(issue(after(), [line('69001', 'a', null)])).toEqual([]);
    const first = issue(after(), [line('69001', 'a', '100.00')]);
    expect(issue(after(...first), [line('69001', 'a', '100.00')])).toEqual([]);
  });

  it('a later issue records only regularisations: changed, new, removed; a pending line waits', () => {
    const first = issue(after(), [
      line('69001', 'a', '100.00'),
      line('69001', 'b', '50.00'),
      line('69002', 'a', '30.00'),
      line('69003', 'a', null),
    ]);
    const [second] = issue(after(...first), [
      line('69001', 'a', '120.50'), // +20.50
      line('69002', 'a', null), // issued, now pending: not regularised while pending
      line('69003', 'a', '40.00'), // pending before: issued now, from 0.00
      line('69004', 'a', '0.00'), // a new free line is recorded too
    ]); // 69001 b is gone: −50.00
    expect(second.data).toMatchObject({ issueNumber: 2, lines: [] });
    expect(
      second.data.regularisations.map((r) => [r.communeInsee, r.serviceId, r.issuedAmount, r.currentAmount, r.difference, r.reason]),
    ).toEqual([
      ['69001', 'a', '100.00', '120.50', '20.50', 'amount_changed'],
      ['69003', 'a', '0.00', '40.00', '40.00', 'line_added'],
      ['69004', 'a', '0.00', '0.00', '0.00', 'line_added'],
      ['69001', 'b', '50.00', '0.00', '-50.00', 'line_removed'],
    ]);
    expect(second.data.regularisations.find((r) => r.reason === 'line_removed')!.line).toBeNull();
    expect(second.data.pendingLines.map((p) => p.communeInsee)).toEqual(['69002']);
    // 20.50 + 40.00 + 0.00 − 50.00
    expect(second.data.totals.grandTotal).toBe('10.50');
  });

  it('names as causes the facts recorded since the last issue that bear on the line', () => {
    const population = (n: number, insee: string) =>
      fact(n, 'PopulationRecorded', { communeInsee: insee, population: 1000, effectiveDate: '2025-01-01', source: 's' });
    const first = issue(after(), [line('69001', 'a', '100.00')], [population(1, '69001')], 1);
    const [second] = issue(
      after(...first),
      [line('69001', 'a', '110.00')],
      [population(1, '69001'), population(2, '69002'), population(3, '69001')],
      3,
    );
    expect(second.data.regularisations[0].causes).toEqual([
      { eventId: 'fact-3', type: 'PopulationRecorded', position: '3-3', recordedAt: '2026-03-01T00:00:00.000Z', reason: null },
    ]);
  });

  it('property: after each issue, what was issued for every line equals its current amount, and the issues add up', () => {
    const communes = ['69001', '69002', '69003'];
    const services = ['a', 'b'];
    // Each step: for each (commune, service), absent, pending, or an amount in cents.
    const cell = fc.oneof(fc.constant<'absent'>('absent'), fc.constant<'pending'>('pending'), fc.integer({ min: 0, max: 10_000_000 }));
    const step = fc.array(cell, { minLength: communes.length * services.length, maxLength: communes.length * services.length });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 6 }), (steps) => {
        let state = issueLedgerDecider.initialState();
        let issuedTotal = dec(0);
        steps.forEach((cells, index) => {
          const lines = cells.flatMap((value, i) => {
            const commune = communes[Math.floor(i / services.length)];
            const service = services[i % services.length];
            if (value === 'absent') return [];
            return [line(commune, service, value === 'pending' ? null : dec(value).dividedBy(100).toFixed(2))];
          });
          const events = issue(state, lines, [], index + 1);
          for (const event of events) {
            issuedTotal = issuedTotal.plus(event.data.totals.grandTotal);
            state = issueLedgerDecider.evolve(state, event);
          }
          // Issuing again at once records nothing.
          expect(issue(state, lines, [], index + 1)).toEqual([]);
          if (state.issues.length === 0) return;
          for (const current of lines)
            if (current.amountDue !== null)
              expect(state.lines.get(current.lineId)).toMatchObject({ amount: current.amountDue, present: true });
          const currentIds = new Set(lines.map((l) => l.lineId));
          for (const [id, entry] of state.lines) if (!currentIds.has(id)) expect(entry).toMatchObject({ amount: '0.00', present: false });
          const held = [...state.lines.values()].reduce((sum, entry) => sum.plus(entry.amount), dec(0));
          expect(issuedTotal.toFixed(2)).toBe(held.toFixed(2));
        });
      }),
    );
  });
});
