/**
 * `npm run bench:proofs` (issue 14): the verifiable log's part of `npm run bench:national`, alone, on a
 * PostgreSQL database of its own filled directly with BENCH_PROOF_EVENTS events (default 1 000 000) and
 * sealed by the store's sealer: the time to produce an inclusion proof (the proof route's store work) and
 * to verify it offline, p50 / p99 over 200 random events a round, and the sealer's delay under load,
 * each beside a ceiling measured in the same run (bench/lib/verifiable-log.ts). A benchmark, not a test.
 *
 * Environment: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test; the benchmark creates and
 * drops a database beside it), BENCH_PROOF_EVENTS, BENCH_PROOF_SAMPLES (200), BENCH_LOAD_MS (10000 a
 * round), BENCH_WRITE_DOCS=0 (leave docs/benchmarks.md alone).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Client } from 'pg';
import { verifiableLogMeasures } from './lib/verifiable-log';
import { machine } from './lib/stats';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const EVENTS = Number(process.env.BENCH_PROOF_EVENTS ?? 1_000_000);
const SAMPLES = Number(process.env.BENCH_PROOF_SAMPLES ?? 200);
const LOAD_MS = Number(process.env.BENCH_LOAD_MS ?? 10_000);
const ROUNDS = 3;
const SECTION = '## Verifiable log at 1 000 000 events (npm run bench:proofs)';
const ABOUT = `Issue 14's figures: an inclusion proof produced by the store (what GET /api/audit/events/{position}/proof asks of it:
the leaf, the tree and the latest head, then the audit path and the root, and the route's own check of the proof) and verified by
the offline verifier, over random events of the tree of every event; and the sealer's delay under load, from an append's
acknowledgment to its event being in the tree (the tree head the sealer commits, polled every 5 ms). Each beside a ceiling measured
in the same run: a bare SELECT of the same node rows on a connection of its own; bare SHA-256 over the leaf and the path (and one
Ed25519 verify, for the document check); the append's own latency. The log is filled directly (INSERT … SELECT generate_series, events of
the product's size) and sealed by the store's own sealer, as an imported log is. \`npm run bench:national\` measures the same on its
own database at the national data set's size. BENCH_PROOF_EVENTS sets the size; BENCH_WRITE_DOCS=0 leaves this section alone.`;

async function main(): Promise<void> {
  const started = performance.now();
  const hostBefore = machine();
  console.log(`machine: ${hostBefore}\n${EVENTS} events, ${SAMPLES} proofs a round, ${ROUNDS} rounds`);
  const admin = new Client({ connectionString: DATABASE_URL });
  await admin.connect();
  const pgVersion = (await admin.query<{ v: string }>(`SELECT current_setting('server_version') AS v`)).rows[0].v;
  const fsync = (await admin.query<{ f: string }>(`SELECT current_setting('fsync') AS f`)).rows[0].f;
  const name = `bench_proofs_${randomBytes(3).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${name}`);
  try {
    const url = new URL(DATABASE_URL);
    url.pathname = `/${name}`;
    const { rows, phases } = await verifiableLogMeasures({
      url: url.toString(),
      events: EVENTS,
      samples: SAMPLES,
      rounds: ROUNDS,
      loadMs: LOAD_MS,
    });
    const seconds = (performance.now() - started) / 1000;
    const header = `| metric | figure | ceiling / peer | ratio | goal | met? |\n| --- | --- | --- | --- | --- | --- |`;
    const table = [
      header,
      ...rows.map(
        (r) =>
          `| ${r.metric} | ${r.figure} | ${r.peer} | ${r.ratio === undefined ? '—' : `${r.ratio.toFixed(2)} ×`} | ${r.goal} | ${r.met === undefined ? '—' : r.met ? 'yes' : 'NO'} |`,
      ),
    ].join('\n');
    const timings = Object.entries(phases)
      .map(([phase, s]) => `${phase} ${s.toFixed(1)} s`)
      .join('; ');
    const context =
      `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, \`npm run bench:proofs\`, ${n(EVENTS)} events, ` +
      `machine at the start: ${hostBefore}; at the end: load average ${machine().replace(/^.*load average /, '')}; PostgreSQL ${pgVersion} (fsync ${fsync}). ` +
      `Figures are median (min–max) over ${ROUNDS} rounds of the round's p50 / p99 (${SAMPLES} proofs a round; ${LOAD_MS / 1000} s of load a round). ` +
      `Whole run ${seconds.toFixed(0)} s; ${timings}.`;
    console.log(`\n${context}\n\n${table}`);
    if (process.env.BENCH_WRITE_DOCS === '0') return;
    const path = resolve(__dirname, '..', 'docs', 'benchmarks.md');
    const doc = readFileSync(path, 'utf8');
    const section = `${SECTION}\n\n<!-- written by npm run bench:proofs; replaced on each run -->\n${ABOUT}\n\n${context}\n\n${table}\n`;
    const start = doc.indexOf(SECTION);
    if (start < 0) {
      writeFileSync(path, `${doc.trimEnd()}\n\n${section}`);
      return;
    }
    const after = doc.indexOf('\n## ', start + SECTION.length);
    writeFileSync(path, doc.slice(0, start) + section + (after < 0 ? '' : doc.slice(after)));
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  }
}

const n = (value: number) => value.toLocaleString('en-US').replace(/,/g, ' ');

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
