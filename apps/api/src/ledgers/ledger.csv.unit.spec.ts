import type { LedgerLineView, LedgerView } from '@lib/contract';
import { ledgerCsv } from './ledger.csv';

/**
 * The CSV is safe to open in a spreadsheet: text that would be read as a formula is neutralised (OWASP,
 * CSV injection), numbers the ledger computed stay numbers (a negative regularisation too), the INSEE
 * code stays text, and the coefficient is rounded for display.
 */
function line(overrides: Partial<LedgerLineView>): LedgerLineView {
  return {
    year: 2026,
    lineId: '01001-1/toodego/partenaire/2026-01-01',
    conventionId: '01001-1',
    communeInsee: '01001',
    communeName: 'Abergement',
    serviceId: 'toodego',
    offerId: 'partenaire',
    feeScheduleKind: 'fixed_plus_per_inhabitant',
    inForceFrom: '2026-01-01',
    inForceUntil: '2026-12-31',
    population: 800,
    populationEffectiveDate: '2025-01-01',
    populationSource: 'INSEE',
    populationEventId: null,
    fixed: '5000.00',
    perInhabitant: '0.20',
    baseAmount: '5160.00',
    indexValue: '322.2',
    indexPeriod: '2025-10',
    baseIndexValue: '315.0',
    baseIndexPeriod: '2024-10',
    coefficient: '1.02285714285714285714285714285714285714285714285714285714286',
    targetAmount: '5277.94',
    legacyAmount: null,
    capAmount: null,
    annualAmount: '5277.94',
    annualAmountBasis: 'target',
    daysInForce: 365,
    daysInYear: 365,
    amountDue: '5277.94',
    status: 'final',
    pendingReason: null,
    pendingYear: null,
    issuedAmount: '5300.00',
    difference: '-22.06',
    ...overrides,
  } as LedgerLineView;
}

function view(lines: LedgerLineView[]): LedgerView {
  return {
    year: 2026,
    knownAt: '2026-03-01T00:00:00.000Z',
    lines,
    removedLines: [],
    totals: { byCommune: [], grandTotal: '0.00' as LedgerView['totals']['grandTotal'], pendingLines: 0, issued: null, difference: null },
    issues: [],
    version: 0,
  };
}

/** RFC 4180 with `;`: the cells as a spreadsheet's import splits them (quotes removed, "" unescaped). */
function parse(csv: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  const text = csv.replace(/^\uFEFF/, '');
  const endCell = () => {
    row.push(cell);
    cell = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted && c === '"' && text[i + 1] === '"') {
      cell += '"';
      i++;
    } else if (c === '"') quoted = !quoted;
    else if (quoted) cell += c;
    else if (c === ';') endCell();
    else if (c === '\r' && text[i + 1] === '\n') {
      endCell();
      rows.push(row);
      row = [];
      i++;
    } else cell += c;
  }
  return rows;
}

function cellsOf(csv: string): Record<string, string> {
  const [header, first] = parse(csv);
  return Object.fromEntries(header.map((name, i) => [name, first[i]]));
}

describe('the ledger CSV, safe to open in a spreadsheet', () => {
  it.each(['=1+1', '+1+1', '-1+1', '@SUM(A1:A2)', '\t=1+1', '\r=1+1', '\n=1', '\0=1', '＝1+1', '=HYPERLINK("http://x";"y")'])(
    'neutralises a commune name starting %j with a leading apostrophe, inside quotes',
    (name) => {
      const csv = ledgerCsv(view([line({ communeName: name })]));
      expect(cellsOf(csv)['Commune']).toBe(`'${name}`);
      // The raw row: the cell is quoted, so that its own separators cannot start another cell.
      expect(csv).toContain(`;"'${name.replace(/"/g, '""')}";`);
    },
  );

  it('leaves ordinary text as it was (a hyphen inside a name is not at its start)', () => {
    const cells = cellsOf(ledgerCsv(view([line({ communeName: 'Saint-Priest', populationSource: 'INSEE; légales 2022' })])));
    expect(cells['Commune']).toBe('Saint-Priest');
    expect(cells['Source de la population']).toBe('INSEE; légales 2022');
  });

  it('neutralises every text column, not just the name (the population source, a service id)', () => {
    const cells = cellsOf(ledgerCsv(view([line({ populationSource: '=cmd|"/c calc"!A1', serviceId: '@x' })])));
    expect(cells['Source de la population']).toBe(`'=cmd|"/c calc"!A1`);
    expect(cells['Service']).toBe(`'@x`);
  });

  it('writes a negative regularisation as a number: the ledger computed it, no user typed it', () => {
    const csv = ledgerCsv(view([line({})]));
    expect(cellsOf(csv)['Écart (€)']).toBe('-22,06');
    expect(csv).toContain(';-22,06;\r\n');
  });

  it('writes a value of a numeric column that is not a plain decimal as neutralised text', () => {
    const cells = cellsOf(ledgerCsv(view([line({ indexValue: '-1+2', baseAmount: '=1' })])));
    expect([cells['Indice Syntec N'], cells['Montant de base (€)']]).toEqual(["'-1+2", "'=1"]);
  });

  it('keeps the INSEE code as text, leading zero and Corsican letters included', () => {
    for (const code of ['01001', '2A004', '69123']) {
      const csv = ledgerCsv(view([line({ communeInsee: code })]));
      // ="01001": a spreadsheet shows 01001, the text, not the number 1001.
      expect(cellsOf(csv)['Code INSEE']).toBe(`="${code}"`);
    }
  });

  it('rounds the coefficient to 9 decimals for display; 1.02 stays 1,02', () => {
    expect(cellsOf(ledgerCsv(view([line({})])))['Coefficient']).toBe('1,022857143');
    expect(cellsOf(ledgerCsv(view([line({ coefficient: '1.02' })])))['Coefficient']).toBe('1,02');
    expect(cellsOf(ledgerCsv(view([line({ coefficient: '0.9999999995' })])))['Coefficient']).toBe('1');
  });
});
