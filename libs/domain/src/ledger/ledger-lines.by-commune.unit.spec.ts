import fc from 'fast-check';
import { COMMUNES, ledgerFactSet } from './ledger-fact-set.arbitrary.spec';
import { LedgerFact } from './ledger-fact';
import { computeCommuneLedgerLines, computeLedgerLines, foldLedgerFacts, foldSharedLedgerFacts } from './ledger-lines';

/**
 * A year computed commune by commune (what the national ledger streams and materialises) is the year
 * computed from every fact at once: for any facts, year and commune, the shared facts folded once and
 * each commune's own facts give exactly computeLedgerLines' lines for that commune, and the communes'
 * lines one after the other in INSEE order are the whole year's.
 */
describe('computeCommuneLedgerLines against computeLedgerLines (R-FEE-1..8)', () => {
  /** As the fee-ledger read model files a fact: its commune, or a convention's signature's; else about every commune. */
  function byCommune(facts: readonly LedgerFact[]): { shared: LedgerFact[]; communes: Map<string, LedgerFact[]> } {
    const conventionCommune = new Map<string, string>();
    const shared: LedgerFact[] = [];
    const communes = new Map<string, LedgerFact[]>();
    for (const fact of facts) {
      const data = fact.data as { communeInsee?: unknown; conventionId?: unknown };
      if (fact.type === 'ConventionSigned') conventionCommune.set(String(data.conventionId), String(data.communeInsee));
      const insee =
        typeof data.communeInsee === 'string'
          ? data.communeInsee
          : typeof data.conventionId === 'string'
            ? conventionCommune.get(data.conventionId)
            : undefined;
      if (insee === undefined) shared.push(fact);
      else communes.set(insee, [...(communes.get(insee) ?? []), fact]);
    }
    return { shared, communes };
  }

  it('gives each commune the lines of the whole computation, and the year in INSEE order', () => {
    let withLines = 0;
    fc.assert(
      fc.property(ledgerFactSet, fc.integer({ min: 2025, max: 2030 }), (facts, year) => {
        const { shared, communes } = byCommune(facts);
        const folded = foldSharedLedgerFacts(shared);
        const state = foldLedgerFacts(facts);
        const inseeOrder = [...new Set([...COMMUNES, ...communes.keys()])].sort();
        const communeByCommune = inseeOrder.flatMap((insee) => {
          const lines = computeCommuneLedgerLines(year, folded, communes.get(insee) ?? [], insee);
          expect(lines).toEqual(computeLedgerLines(year, state, insee));
          return lines;
        });
        const whole = computeLedgerLines(year, state);
        expect(communeByCommune).toEqual(whole);
        if (whole.some((line) => line.status === 'final')) withLines++;
      }),
      { numRuns: 300 },
    );
    expect(withLines).toBeGreaterThan(50);
  });
});
