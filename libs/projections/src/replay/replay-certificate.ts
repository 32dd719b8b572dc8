import { createHash } from 'node:crypto';
import { computeLedgerLines, feeLedgerTotals, foldLedgerFacts } from '@lib/domain/ledger';
import { RecordedEvent, formatPosition, parsePosition } from '@lib/event-store/event-store.port';
import { eventLeafData, integrityJson } from '@lib/event-store/integrity/event-hash';
import { EMPTY_FRONTIER, Frontier, appendLeaves, frontierRoot, leafHash } from '@lib/event-store/integrity/merkle';
import { SignedTreeHead } from '@lib/event-store/integrity/tree-head';
import { PgliteDatabase } from '@lib/event-store/sql/pglite-database';
import { SqlDatabase } from '@lib/event-store/sql/sql-database';
import { ENTITLEMENTS_TABLES, entitlementsProjection } from '../entitlements';
import { FEE_LEDGER_TABLES, feeLedgerProjection, readLedgerFacts } from '../fee-ledger';
import { Projection, TableNames, tableNames, toProjectedEvent } from '../runner/projection';

/*
 * A replay certificate (docs/audit.md): the read models rebuilt from an archive's events recorded up to an
 * instant K, in a sandbox (an in-memory PGlite, the projections' own code), and a hash of each, so that a
 * second party who replays the same archive with the same code gets the same file, byte for byte. It names
 * the signed head that covers the replayed events, so that the archive's prefix is the log's.
 */

export interface ReplayCertificate {
  kind: 'conventions-cadre replay certificate v1';
  asKnownAt: string;
  /** The events replayed: those recorded at or before asKnownAt, the archive's first `events`. */
  replayed: { events: number; lastPosition: string | null; lastRecordedAt: string | null; rootHash: string };
  /** The first signed head whose tree holds every replayed event. */
  signedHead: SignedTreeHead;
  codeVersion: { package: string; commit: string | null; projections: Record<string, number> };
  projections: {
    entitlements: { rows: number; sha256: string };
    ledgers: { year: number; lines: number; grandTotal: string; sha256: string }[];
  };
}

export interface ArchiveEvent extends Omit<RecordedEvent, 'position'> {
  position: string;
}

/** The replayed projections and their versions: the code that gives the hashes. */
const REPLAYED: readonly Projection[] = [entitlementsProjection, feeLedgerProjection];

const BATCH = 1000;

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * Replays `lines` (the export's JSON Lines, in order) up to `asKnownAt` and certifies it. `heads` are the
 * signed heads available (the API's list, or the auditor's files): the smallest holding every replayed
 * event is named; none holding them is an error (sign one first). The archive's agreement with that head
 * is the offline verifier's job (verifyArchive), run by the caller on the same file.
 */
export async function replayCertificate(options: {
  lines: AsyncIterable<string> | Iterable<string>;
  asKnownAt: string;
  heads: readonly SignedTreeHead[];
  codeVersion: { package: string; commit: string | null };
  /** Ledger years to certify; default: 2026 (the framework's first year) to asKnownAt's year. */
  years?: readonly number[];
}): Promise<ReplayCertificate> {
  const knownAt = Date.parse(options.asKnownAt);
  if (Number.isNaN(knownAt)) throw new Error(`asKnownAt must be an ISO 8601 instant, got ${options.asKnownAt}`);
  const asKnownAt = new Date(knownAt).toISOString();
  const db = await PgliteDatabase.open();
  try {
    for (const projection of REPLAYED) await db.transaction((tx) => projection.setup(tx, tableNames(projection)));
    let frontier: Frontier = EMPTY_FRONTIER;
    let last: RecordedEvent | null = null;
    let batch: RecordedEvent[] = [];
    let beyond = false;
    for await (const text of options.lines) {
      if (text.trim() === '') continue;
      const line = JSON.parse(text) as ArchiveEvent;
      const event: RecordedEvent = { ...line, position: parsePosition(line.position) ?? invalid(line.position) };
      const recordedAt = Date.parse(event.recordedAt);
      if (recordedAt > knownAt) {
        beyond = true;
        continue;
      }
      // Instants never decrease along the global order (docs/audit.md): K cuts a prefix.
      if (beyond)
        throw new Error(`event ${event.id} was recorded at ${event.recordedAt}, after a later event: the archive is out of order`);
      frontier = appendLeaves(frontier, [leafHash(eventLeafData(event))]).frontier;
      last = event;
      batch.push(event);
      if (batch.length >= BATCH) {
        await applyAll(db, batch);
        batch = [];
      }
    }
    await applyAll(db, batch);
    const signedHead = [...options.heads].filter((h) => h.treeSize >= frontier.size).sort((a, b) => a.treeSize - b.treeSize)[0];
    if (!signedHead)
      throw new Error(`No signed head holds the ${frontier.size} events recorded up to ${asKnownAt}: sign one (POST /api/audit/heads)`);
    const years = options.years ?? yearsUpTo(new Date(knownAt).getUTCFullYear());
    return {
      kind: 'conventions-cadre replay certificate v1',
      asKnownAt,
      replayed: {
        events: frontier.size,
        lastPosition: last ? formatPosition(last.position) : null,
        lastRecordedAt: last?.recordedAt ?? null,
        rootHash: frontierRoot(frontier).toString('hex'),
      },
      signedHead,
      codeVersion: { ...options.codeVersion, projections: Object.fromEntries(REPLAYED.map((p) => [p.name, p.version])) },
      projections: { entitlements: await entitlementsHash(db), ledgers: await Promise.all(years.map((year) => ledgerHash(db, year))) },
    };
  } finally {
    await db.close();
  }
}

function invalid(position: string): never {
  throw new Error(`not a position: ${position}`);
}

function yearsUpTo(last: number): number[] {
  const years: number[] = [];
  for (let year = 2026; year <= last; year++) years.push(year);
  return years;
}

async function applyAll(db: SqlDatabase, events: readonly RecordedEvent[]): Promise<void> {
  if (events.length === 0) return;
  const projected = events.map(toProjectedEvent);
  for (const projection of REPLAYED) {
    const handled = projection.handles ? projected.filter((e) => projection.handles!.includes(e.recorded.type)) : projected;
    if (handled.length === 0) continue;
    const tables: TableNames = tableNames(projection);
    await db.transaction(async (tx) => {
      if (projection.applyBatch) await projection.applyBatch(handled, tx, tables);
      else for (const event of handled) await projection.apply(event, tx, tables);
    });
  }
}

/** Every version of every entitlement, both time axes, in a fixed order, as canonical JSON lines. */
async function entitlementsHash(db: SqlDatabase): Promise<{ rows: number; sha256: string }> {
  const { rows } = await db.query<{ line: string }>(
    `SELECT row_to_json(v)::text AS line FROM ${ENTITLEMENTS_TABLES.entitlement_versions} v
     ORDER BY commune_insee, service_id, source_id, recorded_from_commit, recorded_from_prepare, offer_id, valid_from NULLS FIRST`,
  );
  const hash = createHash('sha256');
  for (const { line } of rows) hash.update(`${integrityJson(JSON.parse(line))}\n`, 'utf8');
  return { rows: rows.length, sha256: hash.digest('hex') };
}

/** A year's ledger as the API computes it from the facts (R-TIME-1), canonical JSON. */
async function ledgerHash(db: SqlDatabase, year: number): Promise<{ year: number; lines: number; grandTotal: string; sha256: string }> {
  const facts = await readLedgerFacts(db, FEE_LEDGER_TABLES, { year });
  const lines = computeLedgerLines(year, foldLedgerFacts(facts));
  // Through JSON first: the amounts are decimals, written as the API writes them.
  const json: unknown = JSON.parse(JSON.stringify(lines));
  return { year, lines: lines.length, grandTotal: feeLedgerTotals(lines).grandTotal, sha256: sha256(integrityJson(json)) };
}
