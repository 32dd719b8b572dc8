import fc from 'fast-check';
import { COMMUNES, ledgerFactSet } from './ledger-fact-set.arbitrary.spec';
import { computeLedgerLines, computeLedgerLinesByScan, foldLedgerFacts } from './ledger-lines';

/**
 * The per-commune index is an optimisation only: for any facts, computeLedgerLines gives exactly the
 * lines of the computation that scans every fact for every line (computeLedgerLinesByScan).
 */
describe('computeLedgerLines (indexed) against computeLedgerLinesByScan', () => {
  it('gives exactly the lines of the scanning computation, for any facts, year and commune', () => {
    let withLines = 0;
    fc.assert(
      fc.property(ledgerFactSet, fc.integer({ min: 2025, max: 2030 }), fc.constantFrom(...COMMUNES, '99999'), (facts, year, commune) => {
        const state = foldLedgerFacts(facts);
        const whole = computeLedgerLines(year, state);
        expect(whole).toEqual(computeLedgerLinesByScan(year, state));
        expect(computeLedgerLines(year, state, commune)).toEqual(computeLedgerLinesByScan(year, state, commune));
        if (whole.some((line) => line.status === 'final')) withLines++;
      }),
      { numRuns: 300 },
    );
    // The generator reaches lines, not only empty ledgers.
    expect(withLines).toBeGreaterThan(50);
  });
});
