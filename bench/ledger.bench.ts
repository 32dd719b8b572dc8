/**
 * `npm run bench:ledger`: the ledger's computation at national scale, in memory (no store, no HTTP).
 * Builds a national set of ledger facts with the domain's builders: 35 000 communes, each with a
 * convention (one or two annexes, an offer change for some), 8 population figures over the years
 * (a correction for some), a legacy convention for a share of them, monthly Syntec values, the
 * catalogue. Then times `foldLedgerFacts` + `computeLedgerLines` for one whole year and for one
 * commune (from all facts, and from the commune's as the read model selects them), three rounds each (min / median / max), beside a ceiling measured in the same run: a bare
 * loop that touches every fact once. A benchmark, not a test: nothing fails on slow figures.
 *
 * Environment: BENCH_SCALE (1.0: 35 000 communes; 0.1 gives 3 500), BENCH_LEDGER_YEAR (2027),
 * BENCH_ROUNDS (3).
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { LedgerFact, computeLedgerLines, foldLedgerFacts } from '@lib/domain/ledger';
import {
  annexAdded,
  catalogueOfCp2025_4074,
  conventionSigned,
  legacyConventionRecorded,
  offerChanged,
  populationRecorded,
  syntecIndexRecorded,
} from '@lib/domain/testing';

const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const COMMUNES = Math.max(1, Math.round(35_000 * SCALE));
const YEAR = Number(process.env.BENCH_LEDGER_YEAR ?? 2027);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const LEGACY_SHARE = 0.3;

function nationalFacts(): LedgerFact[] {
  const events: { type: string; data: unknown }[] = [...catalogueOfCp2025_4074];
  // Monthly Syntec values 2019-01 … 2027-10, each published at the end of the next month.
  for (let y = 2019; y <= 2027; y++) {
    for (let m = 1; m <= (y === 2027 ? 10 : 12); m++) {
      const next = m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
      const value = (290 + (y - 2019) * 6 + m * 0.4).toFixed(1);
      events.push(syntecIndexRecorded({ period: `${y}-${String(m).padStart(2, '0')}`, value, publishedOn: `${next}-25` }));
    }
  }
  for (let i = 0; i < COMMUNES; i++) {
    const communeInsee = String(10_000 + i);
    const communeName = `Commune ${i}`;
    const conventionId = `${communeInsee}-1`;
    // Populations interleave with the conventions in the global order, as they would be recorded.
    for (let y = 2019; y <= 2026; y++) {
      events.push(populationRecorded({ communeInsee, population: 500 + ((i * 37 + y) % 90_000), effectiveDate: `${y}-01-01` }));
    }
    if (i % 10 === 0) events.push(populationRecorded({ communeInsee, population: 600 + (i % 1000), effectiveDate: '2025-01-01' }));
    if (i % 10 < LEGACY_SHARE * 10) {
      events.push(legacyConventionRecorded({ communeInsee, communeName, annualContribution: (1_000 + (i % 5_000)).toFixed(2) }));
    }
    events.push(conventionSigned({ conventionId, communeInsee, communeName, signedOn: '2025-11-15' }));
    events.push(annexAdded({ conventionId, serviceId: 'toodego', offerId: 'partenaire', effectiveFrom: '2026-01-01' }));
    if (i % 2 === 0) events.push(annexAdded({ conventionId, serviceId: 'laclasse', offerId: 'standard', effectiveFrom: '2026-03-01' }));
    if (i % 7 === 0) events.push(offerChanged({ conventionId, offerId: 'connecte', effectiveFrom: `${YEAR}-07-01` }));
  }
  return events.map((event, i) => ({
    eventId: `e${i + 1}`,
    position: { commit: i + 1, prepare: i + 1 },
    recordedAt: '2026-01-01T00:00:00.000Z',
    streamId: 'bench',
    type: event.type,
    data: event.data as Record<string, unknown>,
    reason: null,
  }));
}

function time(rounds: number, run: () => number): { min: number; median: number; max: number; result: number } {
  const ms: number[] = [];
  let result = 0;
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    result = run();
    ms.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  ms.sort((a, b) => a - b);
  return { min: ms[0], median: ms[Math.floor(ms.length / 2)], max: ms[ms.length - 1], result };
}

function main(): void {
  const facts = nationalFacts();
  const oneCommune = String(10_000 + Math.floor(COMMUNES / 2));
  // What the fee-ledger read model returns for one commune (readLedgerFacts with communeInsee): its
  // facts and those of no commune (catalogue, Syntec); that selection is SQL's, so it is not timed.
  const asReadForCommune = facts.filter((fact) => {
    const { communeInsee, conventionId } = fact.data as { communeInsee?: string; conventionId?: string };
    return communeInsee === oneCommune || conventionId === `${oneCommune}-1` || (communeInsee === undefined && conventionId === undefined);
  });
  console.log(
    `ledger bench: ${COMMUNES} communes, ${facts.length} facts, year ${YEAR}, ${ROUNDS} rounds; ` +
      `${cpus().length} CPU (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB, load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}; Node ${process.version}`,
  );
  const rows: [string, ReturnType<typeof time>][] = [
    [
      'ceiling: touch every fact once',
      time(ROUNDS, () => {
        let sum = 0;
        for (const fact of facts) sum += fact.position.commit + fact.type.length;
        return sum;
      }),
    ],
    ['fold only', time(ROUNDS, () => foldLedgerFacts(facts).conventions.size)],
    ['fold + lines, whole year', time(ROUNDS, () => computeLedgerLines(YEAR, foldLedgerFacts(facts)).length)],
    ['fold all + lines, one commune', time(ROUNDS, () => computeLedgerLines(YEAR, foldLedgerFacts(facts), oneCommune).length)],
    [
      "fold commune's + lines, one commune",
      time(ROUNDS, () => computeLedgerLines(YEAR, foldLedgerFacts(asReadForCommune), oneCommune).length),
    ],
  ];
  const state = foldLedgerFacts(facts);
  rows.push(['lines only, whole year (folded once)', time(ROUNDS, () => computeLedgerLines(YEAR, state).length)]);
  rows.push(['lines only, one commune (folded once)', time(ROUNDS, () => computeLedgerLines(YEAR, state, oneCommune).length)]);
  const pad = (text: string, width: number) => text.padEnd(width);
  console.log(
    `${pad('measure', 40)} ${'min ms'.padStart(10)} ${'median ms'.padStart(10)} ${'max ms'.padStart(10)} ${'result'.padStart(10)}`,
  );
  for (const [name, t] of rows) {
    console.log(
      `${pad(name, 40)} ${t.min.toFixed(1).padStart(10)} ${t.median.toFixed(1).padStart(10)} ${t.max.toFixed(1).padStart(10)} ${String(t.result).padStart(10)}`,
    );
  }
  console.log(`RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB`);
}

main();
