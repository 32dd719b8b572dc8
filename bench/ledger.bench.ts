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
import { computeLedgerLines, foldLedgerFacts } from '@lib/domain/ledger';
import { nationalLedgerFacts } from './ledger-national-facts';

const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const COMMUNES = Math.max(1, Math.round(35_000 * SCALE));
const YEAR = Number(process.env.BENCH_LEDGER_YEAR ?? 2027);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

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
  const facts = nationalLedgerFacts(COMMUNES, YEAR);
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
