import { createHash, createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { Client } from 'pg';
import { Position, comparePositions } from '@lib/event-store/event-store.port';
import { eventLeafData } from '@lib/event-store/integrity/event-hash';
import { eventLeafHash, verifyInclusionDocument } from '@lib/event-store/integrity/offline-verifier';
import { inclusionRanges, proofNodes, verifyInclusion } from '@lib/event-store/integrity/merkle';
import { signTreeHead, treeHeadBytes } from '@lib/event-store/integrity/tree-head';
import { PostgresEventStore } from '@lib/event-store/postgres/postgres-event-store';
import { TREE_NODES, positionOf } from '@lib/event-store/postgres/queries';
import { PgPoolDatabase } from '@lib/event-store/sql/pg-pool-database';
import { benchEvent } from './append';
import { Stats, percentile, stats } from './stats';

/*
 * The verifiable log at scale (issue 14): an inclusion proof produced by the store (what
 * GET /api/audit/events/{position}/proof asks of it) and verified by the offline verifier, at a given
 * number of events, and the sealer's delay under load (an append acknowledged → its event in the tree).
 * Each beside a ceiling measured in the same run: a bare SELECT of the same node rows; bare SHA-256 over
 * the same path (and a bare Ed25519 verify for the document check); the append's own latency.
 *
 * The store is filled directly (INSERT … SELECT generate_series, 50 000 events a statement, of the product's size),
 * then sealed by its own sealer, which builds the chain and the tree as it does over an imported log.
 */

export interface VerifiableLogRow {
  metric: string;
  figure: string;
  peer: string;
  ratio?: number;
  goal: string;
  met?: boolean;
}

export interface VerifiableLogOptions {
  url: string;
  events: number;
  /** Random positions per round. */
  samples?: number;
  rounds?: number;
  /** Appends under load, per round. */
  loadMs?: number;
  writers?: number;
  log?: (line: string) => void;
}

const n = (value: number, digits = 0) =>
  Number.isFinite(value)
    ? value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }).replace(/,/g, ' ')
    : '—';
const show = (s: Stats, unit: string, digits: number) =>
  s.min === s.max ? `${n(s.median, digits)} ${unit}` : `${n(s.median, digits)} ${unit} (${n(s.min, digits)}–${n(s.max, digits)})`;

interface Quantiles {
  p50: number;
  p99: number;
}
const quantiles = (values: number[]): Quantiles => {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99) };
};

export async function verifiableLogMeasures(
  options: VerifiableLogOptions,
): Promise<{ rows: VerifiableLogRow[]; phases: Record<string, number> }> {
  const { url, events } = options;
  const samples = options.samples ?? 200;
  const roundCount = options.rounds ?? 3;
  const loadMs = options.loadMs ?? 10_000;
  const writers = options.writers ?? 8;
  const say = options.log ?? ((line: string) => console.log(line));
  const phases: Record<string, number> = {};
  const rows: VerifiableLogRow[] = [];

  const db = await PgPoolDatabase.connect({ connectionString: url, max: 10 });
  const store = await PostgresEventStore.create(db, { channel: 'events_proofs' });
  const bare = new Client({ connectionString: url });
  await bare.connect();
  try {
    // 1. The log: events of the product's size, then sealed (chain and tree) by the store's own sealer.
    let t0 = performance.now();
    const sample = benchEvent();
    // In slices: one statement of a million rows would outlast the pool's statement timeout.
    const SLICE = 50_000;
    for (let from = 0; from < events; from += SLICE)
      await db.query(
        `INSERT INTO events (stream_id, revision, event_id, type, schema_version, data, metadata)
         SELECT 'bench-' || (i / 10), i % 10, gen_random_uuid(), $3, 1, $4::jsonb || jsonb_build_object('i', i), $5::jsonb
         FROM generate_series($1::int, $2::int - 1) AS i`,
        [from, Math.min(events, from + SLICE), sample.type, JSON.stringify(sample.data), JSON.stringify(sample.metadata)],
      );
    phases['fill (INSERT … SELECT generate_series)'] = (performance.now() - t0) / 1000;
    say(`  ${n(events)} events inserted in ${phases['fill (INSERT … SELECT generate_series)'].toFixed(1)} s`);
    t0 = performance.now();
    // The store's background sealer does it, as in the API (store.seal() gives up after 30 s of another sealer's batches).
    let state = await store.sealState();
    while (state.head.size < events || state.tree.size < events) {
      if (performance.now() - t0 > 30 * 60_000) throw new Error(`not sealed after 30 min: ${JSON.stringify(state)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
      state = await store.sealState();
    }
    phases['seal: chain and tree over them'] = (performance.now() - t0) / 1000;
    const treeNodes = Number((await bare.query<{ c: string }>(`SELECT count(*) AS c FROM event_tree_nodes`)).rows[0].c);
    say(
      `  sealed, tree of ${n(state.tree.size)} leaves (${n(treeNodes)} nodes) in ${phases['seal: chain and tree over them'].toFixed(1)} s`,
    );
    rows.push({
      metric: `sealing an imported log of ${n(events)} events (chain and Merkle tree, the store's sealer)`,
      figure: `${n(events / phases['seal: chain and tree over them'])} events/s`,
      peer: '—',
      goal: '—',
    });

    const log = store.verifiableLog();
    const { privateKey } = generateKeyPairSync('ed25519');
    const publicKey = createPublicKey(privateKey);
    const tree = await log.tree();
    const head = signTreeHead({ treeSize: tree.size, rootHash: tree.root, timestamp: new Date().toISOString() }, privateKey);
    await log.recordHead(head);

    // 2. Proofs of random events in the tree of every event.
    const produce: Quantiles[] = [];
    const produceStore: Quantiles[] = [];
    const ceilingSelect: Quantiles[] = [];
    const verifyPath: Quantiles[] = [];
    const verifyDocument: Quantiles[] = [];
    const ceilingSha: Quantiles[] = [];
    const ceilingShaEd: Quantiles[] = [];
    let pathLength = 0;
    for (let round = 1; round <= roundCount; round++) {
      const leaves = Array.from({ length: samples }, () => Math.floor(Math.random() * tree.size));
      const { rows: located } = await bare.query<{ leaf: string; seq: string; xid_text: string }>(
        `SELECT c.leaf, e.seq, e.xid::text AS xid_text FROM event_chain c JOIN events e ON e.seq = c.seq WHERE c.leaf = ANY($1::bigint[])`,
        [leaves],
      );
      const positionOfLeaf = new Map(located.map((row) => [Number(row.leaf), positionOf({ xid_text: row.xid_text, seq: row.seq })]));
      const times = {
        produce: [] as number[],
        store: [] as number[],
        select: [] as number[],
        path: [] as number[],
        doc: [] as number[],
        sha: [] as number[],
        shaEd: [] as number[],
      };
      for (const leafIndex of leaves) {
        const position = positionOfLeaf.get(leafIndex)!;
        // What the proof route asks of the store (verifiable-log.controller.ts, inclusion), and its own check.
        let t = performance.now();
        const [leaf, , latest] = await Promise.all([log.leafOf(position), log.tree(), log.latestHead()]);
        const [auditPath, root] = await Promise.all([log.inclusionProof(leaf!.leafIndex, tree.size), log.rootAt(tree.size)]);
        const leafHash = eventLeafHash(leaf!.event);
        verifyInclusion(Buffer.from(leafHash, 'hex'), leaf!.leafIndex, tree.size, auditPath, Buffer.from(latest!.rootHash, 'hex'));
        times.produce.push(performance.now() - t);
        if (!root.equals(Buffer.from(tree.root, 'hex'))) throw new Error('rootAt does not give the tree root');

        t = performance.now();
        await log.inclusionProof(leafIndex, tree.size);
        times.store.push(performance.now() - t);

        // Ceiling: one bare SELECT of the same node rows, on a connection of its own.
        const ids = proofNodes(inclusionRanges(leafIndex, tree.size));
        t = performance.now();
        await bare.query(TREE_NODES, [ids.map((id) => id.level), ids.map((id) => id.index)]);
        times.select.push(performance.now() - t);

        // Verification, offline: the path alone, then the document (the leaf from the event, the head's signature).
        const document = { leafIndex, treeSize: tree.size, event: leaf!.event, auditPath: auditPath.map((h) => h.toString('hex')) };
        t = performance.now();
        verifyInclusion(Buffer.from(leafHash, 'hex'), leafIndex, tree.size, auditPath, Buffer.from(head.rootHash, 'hex'));
        times.path.push(performance.now() - t);
        t = performance.now();
        verifyInclusionDocument(document, head, publicKey);
        times.doc.push(performance.now() - t);

        // Ceilings: bare SHA-256 over the same bytes (the leaf, then one node per path element), and an Ed25519 verify.
        const data = eventLeafData(leaf!.event);
        t = performance.now();
        let r = createHash('sha256')
          .update(Buffer.from([0]))
          .update(data)
          .digest();
        for (const p of auditPath)
          r = createHash('sha256')
            .update(Buffer.from([1]))
            .update(p)
            .update(r)
            .digest();
        times.sha.push(performance.now() - t);
        const bytes = treeHeadBytes(head);
        const signature = Buffer.from(head.signature, 'base64');
        t = performance.now();
        r = createHash('sha256')
          .update(Buffer.from([0]))
          .update(data)
          .digest();
        for (const p of auditPath)
          r = createHash('sha256')
            .update(Buffer.from([1]))
            .update(p)
            .update(r)
            .digest();
        verify(null, bytes, publicKey, signature);
        times.shaEd.push(performance.now() - t);
        pathLength = Math.max(pathLength, auditPath.length);
      }
      produce.push(quantiles(times.produce));
      produceStore.push(quantiles(times.store));
      ceilingSelect.push(quantiles(times.select));
      verifyPath.push(quantiles(times.path));
      verifyDocument.push(quantiles(times.doc));
      ceilingSha.push(quantiles(times.sha));
      ceilingShaEd.push(quantiles(times.shaEd));
      say(
        `  proofs, round ${round}: produce p50 ${produce[round - 1].p50.toFixed(2)} / p99 ${produce[round - 1].p99.toFixed(2)} ms; ` +
          `verify document p50 ${verifyDocument[round - 1].p50.toFixed(3)} / p99 ${verifyDocument[round - 1].p99.toFixed(3)} ms`,
      );
    }
    const pair = (q: Quantiles[], digits: number) =>
      `${show(stats(q.map((x) => x.p50)), 'ms', digits)} / ${show(stats(q.map((x) => x.p99)), 'ms', digits)}`;
    const ratio = (a: Quantiles[], b: Quantiles[]) => stats(a.map((x) => x.p99)).median / stats(b.map((x) => x.p99)).median;
    const p99 = (q: Quantiles[]) => stats(q.map((x) => x.p99)).median;
    const where = `${samples} random events of ${n(tree.size)}, path ≤ ${pathLength}`;
    rows.push({
      metric: `inclusion proof, produced: the proof route's store work (leaf, tree, head; path and root; its own check), p50 / p99, ${where}`,
      figure: pair(produce, 2),
      peer: `bare SELECT of the same node rows p50 / p99 ${pair(ceilingSelect, 2)}`,
      ratio: ratio(produce, ceilingSelect),
      goal: 'p99 ≤ 10 ms',
      met: p99(produce) <= 10,
    });
    rows.push({
      metric: `inclusion proof, produced: the audit path alone (VerifiableLog.inclusionProof), p50 / p99`,
      figure: pair(produceStore, 2),
      peer: `bare SELECT of the same node rows p50 / p99 ${pair(ceilingSelect, 2)}`,
      ratio: ratio(produceStore, ceilingSelect),
      goal: '—',
    });
    rows.push({
      metric: `inclusion proof, verified offline: the path (verifyInclusion), p50 / p99`,
      figure: pair(verifyPath, 3),
      peer: `bare SHA-256 over the leaf and the path p50 / p99 ${pair(ceilingSha, 3)}`,
      ratio: ratio(verifyPath, ceilingSha),
      goal: 'p99 ≤ 1 ms',
      met: p99(verifyPath) <= 1,
    });
    rows.push({
      metric: `inclusion proof, verified offline: the document (verifyInclusionDocument: the leaf from the event, the path, the head's Ed25519 signature), p50 / p99`,
      figure: pair(verifyDocument, 3),
      peer: `bare SHA-256 over the leaf and the path + one Ed25519 verify p50 / p99 ${pair(ceilingShaEd, 3)}`,
      ratio: ratio(verifyDocument, ceilingShaEd),
      goal: 'p99 ≤ 1 ms',
      met: p99(verifyDocument) <= 1,
    });

    // 3. The sealer's delay under load: `writers` loops appending one event each, as fast as they can.
    const delays: Quantiles[] = [];
    const maxDelays: number[] = [];
    const appendLatency: Quantiles[] = [];
    const rates: number[] = [];
    for (let round = 1; round <= roundCount; round++) {
      const pending: Array<{ position: Position; ackAt: number }> = [];
      const delay: number[] = [];
      const latency: number[] = [];
      let stop = false;
      let appended = 0;
      let lastAck = performance.now();
      const poll = (async () => {
        // The tree's head as the sealer commits it, looked at every 5 ms (the figures' resolution).
        while (!stop || pending.length > 0) {
          const { rows: headRow } = await bare.query<{ xid_text: string | null; seq: string | null }>(
            `SELECT tree_xid::text AS xid_text, tree_seq AS seq FROM event_seal_head`,
          );
          const now = performance.now();
          const covered = headRow[0]?.seq == null ? null : positionOf({ xid_text: headRow[0].xid_text!, seq: headRow[0].seq });
          if (covered)
            for (let i = pending.length - 1; i >= 0; i--)
              if (comparePositions(pending[i].position, covered) <= 0) {
                delay.push(now - pending[i].ackAt);
                pending.splice(i, 1);
              }
          if (stop && pending.length > 0 && now - lastAck > 30_000)
            throw new Error(`${pending.length} events not in the tree 30 s after the load`);
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      })();
      const started = performance.now();
      await Promise.all(
        Array.from({ length: writers }, async (_, writer) => {
          for (let i = 0; performance.now() - started < loadMs; i++) {
            const t = performance.now();
            const { position } = await store.appendToStream(`load-${round}-${writer}-${i % 50}`, [benchEvent()]);
            lastAck = performance.now();
            latency.push(lastAck - t);
            pending.push({ position, ackAt: lastAck });
            appended++;
          }
        }),
      );
      rates.push(appended / ((performance.now() - started) / 1000));
      stop = true;
      await poll;
      delays.push(quantiles(delay));
      maxDelays.push(Math.max(...delay));
      appendLatency.push(quantiles(latency));
      say(
        `  sealer under load, round ${round}: ${appended} appends (${rates[round - 1].toFixed(0)}/s); delay p50 ${delays[round - 1].p50.toFixed(1)} / p99 ${delays[round - 1].p99.toFixed(1)} / max ${maxDelays[round - 1].toFixed(1)} ms`,
      );
    }
    rows.push({
      metric: `the sealer's delay under load (append acknowledged → its event in the tree), p50 / p99, ${writers} writers appending one event at a time (${show(stats(rates), 'events/s', 0)}), on the log of ${n(tree.size)}; 5 ms resolution`,
      figure: `${pair(delays, 1)} (max ${show(stats(maxDelays), 'ms', 0)})`,
      peer: `the append's own latency p50 / p99 ${pair(appendLatency, 1)}`,
      ratio: ratio(delays, appendLatency),
      goal: 'p99 ≤ 1 000 ms (SEAL_BOUND_MS)',
      met: p99(delays) <= 1000,
    });
    const final = await store.sealState();
    const check = await log.rootAt(final.tree.size);
    if (check.toString('hex') !== final.tree.root) throw new Error('the tree after the load does not give its own root');
    return { rows, phases };
  } finally {
    await bare.end();
    await store.close();
    await db.close();
  }
}
