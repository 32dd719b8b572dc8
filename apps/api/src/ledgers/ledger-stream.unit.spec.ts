import { ConsoleLogger, Logger } from '@nestjs/common';
import fc from 'fast-check';
import { createServer, request } from 'node:http';
import { AddressInfo } from 'node:net';
import type { LedgerView } from '@lib/contract';
import { ledgerFactSet } from '@lib/domain/ledger/ledger-fact-set.arbitrary.spec';
import {
  FeeLedgerLine,
  IssuedLedger,
  compareWithIssued,
  computeLedgerLines,
  evolveIssuedLedger,
  feeLedgerTotals,
  foldLedgerFacts,
  issueLedgerDecider,
  lineIdentityOf,
  noIssue,
} from '@lib/domain/ledger';
import { Dec, MoneyString, dec, toMoneyString } from '@lib/domain/shared/money';
import { CommuneLines } from '@lib/projections/fee-ledger';
import { ledgerCsv } from './ledger.csv';
import { streamYearLedger } from './ledger-stream';

/**
 * The streamed year is the answer the API built in memory before streaming (`inMemoryView`, the
 * previous ledgerView, kept here as the oracle): the same JSON bytes and the same CSV, for random fact
 * sets issued twice (so with issued amounts, differences and removed lines), whatever the pages. And a
 * failure after the first byte reaches the client as a body cut short, never as one that looks complete.
 */
async function served(handler: (response: import('node:http').ServerResponse) => Promise<void>) {
  const server = createServer((_req, res) => void handler(res));
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  try {
    return await new Promise<{ body: string; complete: boolean; headers: Record<string, unknown> }>((done, fail) => {
      const req = request(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        const finish = () => done({ body: Buffer.concat(chunks).toString('utf8'), complete: response.complete, headers: response.headers });
        response.on('end', finish);
        response.on('error', finish);
        response.on('aborted', finish);
      });
      req.on('error', fail);
      req.end();
    });
  } finally {
    server.close();
  }
}

function pagesOf(lines: readonly FeeLedgerLine[], pageSize: number): CommuneLines[][] {
  const communes: CommuneLines[] = [];
  for (const line of lines) {
    const last = communes.at(-1);
    if (last && last.communeInsee === line.communeInsee) (last.lines as FeeLedgerLine[]).push(line);
    else communes.push({ communeInsee: line.communeInsee, lines: [line] });
  }
  const pages: CommuneLines[][] = [];
  for (let i = 0; i < communes.length; i += pageSize) pages.push(communes.slice(i, i + pageSize));
  return pages;
}

async function* iterate<T>(pages: readonly T[], failAt?: number): AsyncGenerator<T> {
  for (let i = 0; i < pages.length; i++) {
    if (i === failAt) throw new Error('the read model went away');
    yield pages[i];
  }
}

describe('streamYearLedger: the year of R-FEE-8 lines and totals, streamed', () => {
  // The failure tests log the connection they close; the assertions say what the client saw.
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(new ConsoleLogger()));

  it('writes the bytes of the in-memory answer, JSON and CSV, for any facts, issues and pages', async () => {
    let withRemoved = 0;
    await fc.assert(
      fc.asyncProperty(
        ledgerFactSet,
        fc.integer({ min: 2026, max: 2028 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 1, max: 3 }),
        async (facts, year, share, pageSize) => {
          const cut = Math.floor(share * facts.length);
          let issued: IssuedLedger = noIssue();
          for (const known of [facts.slice(0, cut), facts]) {
            const lines = computeLedgerLines(year, foldLedgerFacts(known));
            const context = { lines, facts: known, basedOn: { position: String(known.length), at: '2026-06-01T00:00:00.000Z' } };
            const decided = issueLedgerDecider.decide({ type: 'IssueLedger', data: { year } }, issued, context);
            if (Array.isArray(decided)) for (const event of decided) issued = evolveIssuedLedger(issued, event);
          }
          // The current lines: the facts without the last conventions' events, so that issued lines may be gone.
          const lines = computeLedgerLines(year, foldLedgerFacts(facts.slice(0, Math.max(cut, facts.length - 3))));
          const expected = inMemoryView(year, '2026-07-01T00:00:00.000Z', lines, issued);
          if (expected.removedLines.length > 0) withRemoved++;
          for (const format of ['json', 'csv'] as const) {
            const { body, complete } = await served((response) =>
              streamYearLedger(response, {}, format, year, expected.knownAt, { issued, pages: iterate(pagesOf(lines, pageSize)) }),
            );
            expect(complete).toBe(true);
            expect(body).toBe(format === 'json' ? JSON.stringify(expected) : ledgerCsv(expected));
          }
        },
      ),
      { numRuns: 150 },
    );
    expect(withRemoved).toBeGreaterThan(0);
  }, 120_000);

  it('cuts the body short when a page fails after the first byte', async () => {
    // Real lines, enough of them that the first pages fill a chunk and go out before the failure.
    const sample = fc
      .sample(ledgerFactSet, 50)
      .map((facts) => computeLedgerLines(2026, foldLedgerFacts(facts)))
      .find((lines) => lines.length > 0)!;
    const many = Array.from({ length: 400 }, (_, i) => ({ ...sample[0], lineId: `${sample[0].lineId}-${i}` }));
    const pages = [[{ communeInsee: sample[0].communeInsee, lines: many }], [{ communeInsee: '99999', lines: [] }]];
    const { body, complete } = await served(async (response) => {
      await streamYearLedger(response, {}, 'json', 2026, '2026-07-01T00:00:00.000Z', { issued: noIssue(), pages: iterate(pages, 1) });
    });
    expect(body.length).toBeGreaterThan(64 * 1024);
    expect(complete).toBe(false);
    expect(() => JSON.parse(body)).toThrow();
  });

  it('sends nothing when a page fails before the first chunk went out: the caller still answers with a problem', async () => {
    let rejected: unknown;
    let headersSent = true;
    await served(async (response) => {
      await streamYearLedger(response, {}, 'json', 2026, 'x', { issued: noIssue(), pages: iterate([[], []], 1) }).catch((e: unknown) => {
        rejected = e;
        headersSent = response.headersSent;
        response.statusCode = 503;
        response.end('{}');
      });
    });
    expect(rejected).toBeInstanceOf(Error);
    expect(headersSent).toBe(false);
  });
});

/** The ledger's answer as built in memory before it was streamed (commit ed9ad46's ledgerView). */
function inMemoryView(year: number, knownAt: string, lines: readonly FeeLedgerLine[], issued: IssuedLedger): LedgerView {
  const comparison = compareWithIssued(lines, issued);
  const isIssued = issued.issues.length > 0;
  const viewLines = comparison.lines.map(({ line, issuedAmount, difference }) => ({ ...line, issuedAmount, difference }));
  const removedLines = comparison.removed.map(({ line, issuedAmount, difference }) => ({
    ...lineIdentityOf(line),
    issuedAmount,
    amountDue: '0.00' as MoneyString,
    difference,
  }));
  const totals = feeLedgerTotals(lines);
  const communes = new Map<string, { communeName: string; total: MoneyString; pendingLines: number; issued: Dec; difference: Dec }>();
  for (const commune of totals.byCommune) communes.set(commune.communeInsee, { ...commune, issued: dec(0), difference: dec(0) });
  const communeOf = (insee: string, name: string) => {
    const found = communes.get(insee) ?? {
      communeName: name,
      total: '0.00' as MoneyString,
      pendingLines: 0,
      issued: dec(0),
      difference: dec(0),
    };
    communes.set(insee, found);
    return found;
  };
  for (const entry of issued.lines.values()) {
    const commune = communeOf(entry.line.communeInsee, entry.line.communeName);
    commune.issued = commune.issued.plus(entry.amount);
  }
  for (const line of [...viewLines, ...removedLines]) {
    if (line.difference === null) continue;
    const commune = communeOf(line.communeInsee, line.communeName);
    commune.difference = commune.difference.plus(line.difference);
  }
  const byCommune = [...communes.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([insee, c]) => ({
      communeInsee: insee,
      communeName: c.communeName,
      total: c.total,
      pendingLines: c.pendingLines,
      issued: isIssued ? toMoneyString(c.issued) : null,
      difference: isIssued ? toMoneyString(c.difference) : null,
    }));
  const sum = (values: (MoneyString | null)[]) => toMoneyString(values.reduce((acc: Dec, value) => acc.plus(value ?? 0), dec(0)));
  return {
    year,
    knownAt,
    lines: viewLines,
    removedLines,
    totals: {
      byCommune,
      grandTotal: totals.grandTotal,
      pendingLines: totals.pendingLines,
      issued: isIssued ? sum(byCommune.map((c) => c.issued)) : null,
      difference: isIssued ? sum(byCommune.map((c) => c.difference)) : null,
    },
    issues: [...issued.issues],
    version: issued.issues.length,
  };
}
