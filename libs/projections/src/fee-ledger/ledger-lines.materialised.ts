import { FeeLedgerLine, computeCommuneLedgerLines, foldSharedLedgerFacts } from '@lib/domain/ledger';
import { Position, comparePositions } from '@lib/domain/shared/log-position';
import { SqlDatabase, SqlExecutor } from '@lib/event-store/sql/sql-database';
import { FEE_LEDGER_TABLES, feeLedgerProjection } from './fee-ledger.projection';
import {
  FactsBound,
  byCodeUnits,
  ledgerFactsChangedAfter,
  ledgerFactsHead,
  readCommunesLedgerFacts,
  readLedgerCommunes,
  readSharedLedgerFacts,
} from './ledger-facts';

/**
 * The ledger lines materialised per (year, commune): a national year cannot be folded and computed per
 * request within its bound (about 5 s for the computation alone at 35 000 communes, before reading a
 * million facts), a commune's lines can (well under a millisecond from its facts). So each commune's
 * lines are computed from the facts, commune by commune, and kept with the position of the facts they
 * were computed from (their basis); a read of the year first brings them up to the read model's last
 * fact (refreshLedgerLines):
 *
 * - a fact about one commune (its conventions, populations, legacy conventions) recomputes that
 *   commune's lines only; a fact about every commune (a Syntec value, the catalogue) recomputes the year;
 *   a ledger issue none (issued amounts are read beside the lines). Nothing stale is served: the read
 *   that finds facts past the basis waits for the recomputation.
 * - lines are never overwritten: a recomputation adds rows at its new basis, and a read takes, per
 *   commune, the row of the greatest basis up to the one it started on, so a year streamed while
 *   another read recomputes it stays one consistent set without holding a transaction open. Superseded
 *   rows are dropped once their successor is older than SUPERSEDED_GRACE.
 * - the materialised lines are a cache of a pure function of the facts, not a read model of their own:
 *   recomputed from scratch they are the same (ledger-lines.materialised.int.spec.ts), and a change of
 *   the computation (LINES_COMPUTATION) or of the fee-ledger projection's version recomputes them.
 *
 * A ledger as known at an instant before the last fact is not materialised: it is computed commune by
 * commune from the facts recorded by then (computeCommuneLines), streamed too.
 */
export const LEDGER_LINES_TABLES = { lines: 'fee_ledger_lines', years: 'fee_ledger_lines_years' } as const;

/** Bump when computeLedgerLines or the facts it reads change meaning: the materialised lines are then recomputed. */
const LINES_COMPUTATION = `lines-1/fee-ledger-${feeLedgerProjection.version}`;
/** How long a superseded row stays for the reads that started before it was superseded. */
const SUPERSEDED_GRACE = "interval '10 minutes'";
/** Communes per page read or written: a page's facts and lines are what a ledger holds in memory. */
export const COMMUNE_PAGE = 500;

export interface CommuneLines {
  readonly communeInsee: string;
  readonly lines: readonly FeeLedgerLine[];
}

export async function setupLedgerLines(db: SqlDatabase): Promise<void> {
  const { lines, years } = LEDGER_LINES_TABLES;
  await db.transaction(async (tx) => {
    // Two API processes starting at once would race on CREATE TABLE IF NOT EXISTS (the catalogue's unique index).
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':fee-ledger-lines-setup'))`);
    await tx.query(
      `CREATE TABLE IF NOT EXISTS ${lines} (
         year integer NOT NULL,
         commune_insee text NOT NULL,
         basis_commit bigint NOT NULL,
         basis_prepare bigint NOT NULL,
         lines text NOT NULL,
         created_at timestamptz NOT NULL DEFAULT now(),
         PRIMARY KEY (year, commune_insee, basis_commit, basis_prepare)
       )`,
    );
    await tx.query(
      `CREATE TABLE IF NOT EXISTS ${years} (
         year integer PRIMARY KEY,
         basis_commit bigint NOT NULL,
         basis_prepare bigint NOT NULL,
         computation text NOT NULL
       )`,
    );
  });
}

/**
 * Brings the year's materialised lines up to the read model's last fact and returns the basis they now
 * have: the position of the facts every commune's lines are computed from.
 *
 * Three steps, each its own transaction. A write transaction held open for the whole year (tens of
 * seconds at national scale) would hold the server's visibility horizon (event-store queries.ts) and
 * stall every reader of the log meanwhile: projections, the sealer, reads with minPosition. So:
 * 1. under the year's lock, what to recompute: the communes whose facts changed since the year's basis,
 *    every commune when a fact about all of them changed, or (no basis, another computation, a read
 *    model rebuilt shorter) every commune with a fact or a row, after dropping the rows of a basis past
 *    the read model's head;
 * 2. each page of lines written at the new basis in a statement of its own. Readers never see them
 *    before step 3 (they read up to the year's basis), and two refreshes at the same basis write the
 *    same rows (the lines are a pure function of the facts up to it);
 * 3. under the lock, the year's basis moved to the new one (forwards only, unless recomputed from
 *    scratch), and the rows superseded for longer than SUPERSEDED_GRACE dropped.
 */
export async function refreshLedgerLines(db: SqlDatabase, year: number): Promise<Position> {
  const { lines, years } = LEDGER_LINES_TABLES;
  const lockYear = (tx: SqlExecutor) =>
    tx.query(`SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':fee-ledger-lines:' || $1::text))`, [year]);
  const plan = await db.transaction(async (tx) => {
    await lockYear(tx);
    const { rows } = await tx.query<{ basis_commit: string | number; basis_prepare: string | number; computation: string }>(
      `SELECT basis_commit, basis_prepare, computation FROM ${years} WHERE year = $1`,
      [year],
    );
    const head = await ledgerFactsHead(tx, FEE_LEDGER_TABLES);
    const known = rows[0] && rows[0].computation === LINES_COMPUTATION ? positionOf(rows[0]) : undefined;
    const bound: FactsBound = { upTo: head };
    if (known && comparePositions(known, head) === 0) return { head, bound, communes: [], fromScratch: false, done: true };
    if (known && comparePositions(known, head) < 0) {
      const changed = await ledgerFactsChangedAfter(tx, FEE_LEDGER_TABLES, known, bound);
      const communes = changed.shared ? await readLedgerCommunes(tx, FEE_LEDGER_TABLES, bound) : changed.communes;
      return { head, bound, communes, fromScratch: false, done: false };
    }
    await tx.query(`DELETE FROM ${lines} WHERE year = $1 AND (basis_commit, basis_prepare) > ($2::bigint, $3::bigint)`, [
      year,
      head.commit,
      head.prepare,
    ]);
    // A commune with rows but no fact any more (a read model rebuilt shorter) gets an empty row, so that
    // its old lines are superseded rather than read.
    const { rows: withRows } = await tx.query<{ commune_insee: string }>(`SELECT DISTINCT commune_insee FROM ${lines} WHERE year = $1`, [
      year,
    ]);
    const communes = new Set(await readLedgerCommunes(tx, FEE_LEDGER_TABLES, bound));
    for (const row of withRows) communes.add(row.commune_insee);
    return { head, bound, communes: [...communes].sort(byCodeUnits), fromScratch: true, done: false };
  });
  const { head } = plan;
  if (plan.done) return head;
  for await (const page of computeCommuneLines(db, year, plan.bound, plan.communes)) {
    await db.query(
      `INSERT INTO ${lines} (year, commune_insee, basis_commit, basis_prepare, lines)
       SELECT $1, commune_insee, $2, $3, lines FROM unnest($4::text[], $5::text[]) AS t(commune_insee, lines)
       ON CONFLICT (year, commune_insee, basis_commit, basis_prepare) DO UPDATE SET lines = excluded.lines`,
      [year, head.commit, head.prepare, page.map((c) => c.communeInsee), page.map((c) => JSON.stringify(c.lines))],
    );
  }
  await db.transaction(async (tx) => {
    await lockYear(tx);
    await tx.query(
      `INSERT INTO ${years} (year, basis_commit, basis_prepare, computation) VALUES ($1, $2, $3, $4)
       ON CONFLICT (year) DO UPDATE SET basis_commit = excluded.basis_commit, basis_prepare = excluded.basis_prepare, computation = excluded.computation
       WHERE $5 OR ${years}.computation <> excluded.computation
          OR (${years}.basis_commit, ${years}.basis_prepare) < (excluded.basis_commit, excluded.basis_prepare)`,
      [year, head.commit, head.prepare, LINES_COMPUTATION, plan.fromScratch],
    );
    await tx.query(
      `DELETE FROM ${lines} old WHERE old.year = $1 AND EXISTS (
         SELECT 1 FROM ${lines} newer
          WHERE newer.year = old.year AND newer.commune_insee = old.commune_insee
            AND (newer.basis_commit, newer.basis_prepare) > (old.basis_commit, old.basis_prepare)
            AND newer.created_at < now() - ${SUPERSEDED_GRACE})`,
      [year],
    );
  });
  return head;
}

/** The year's materialised lines at `basis` (as refreshLedgerLines left them), page by page in INSEE order. */
export async function* readLedgerLines(db: SqlExecutor, year: number, basis: Position): AsyncGenerator<CommuneLines[]> {
  const { lines } = LEDGER_LINES_TABLES;
  const { rows } = await db.query<{ commune_insee: string }>(
    `SELECT DISTINCT commune_insee FROM ${lines} WHERE year = $1 AND (basis_commit, basis_prepare) <= ($2::bigint, $3::bigint)`,
    [year, basis.commit, basis.prepare],
  );
  const communes = rows.map((row) => row.commune_insee).sort(byCodeUnits);
  for (let i = 0; i < communes.length; i += COMMUNE_PAGE) {
    const page = communes.slice(i, i + COMMUNE_PAGE);
    const found = await db.query<{ commune_insee: string; lines: string }>(
      `SELECT DISTINCT ON (commune_insee) commune_insee, lines FROM ${lines}
        WHERE year = $1 AND commune_insee = ANY($2::text[]) AND (basis_commit, basis_prepare) <= ($3::bigint, $4::bigint)
        ORDER BY commune_insee, basis_commit DESC, basis_prepare DESC`,
      [year, page, basis.commit, basis.prepare],
    );
    const byCommune = new Map<string, readonly FeeLedgerLine[]>(found.rows.map((row) => [row.commune_insee, JSON.parse(row.lines)]));
    // Dropped by a later refresh while this read ran longer than SUPERSEDED_GRACE (a slow client of a
    // national ledger): computed again from the facts up to the same basis, which is what they held.
    const gone = page.filter((communeInsee) => !byCommune.has(communeInsee));
    if (gone.length > 0)
      for await (const computed of computeCommuneLines(db, year, { upTo: basis }, gone))
        for (const commune of computed) byCommune.set(commune.communeInsee, commune.lines);
    yield page.map((communeInsee) => ({ communeInsee, lines: byCommune.get(communeInsee) as readonly FeeLedgerLine[] }));
  }
}

/**
 * The lines of these communes (every commune with a fact, by default) computed from the facts within
 * `bound`, page by page in INSEE order: the shared facts folded once, each page's facts read at once.
 */
export async function* computeCommuneLines(
  db: SqlExecutor,
  year: number,
  bound: FactsBound,
  communes?: readonly string[],
): AsyncGenerator<CommuneLines[]> {
  const shared = foldSharedLedgerFacts(await readSharedLedgerFacts(db, FEE_LEDGER_TABLES, bound));
  const list = communes ?? (await readLedgerCommunes(db, FEE_LEDGER_TABLES, bound));
  for (let i = 0; i < list.length; i += COMMUNE_PAGE) {
    const page = list.slice(i, i + COMMUNE_PAGE);
    const facts = await readCommunesLedgerFacts(db, FEE_LEDGER_TABLES, page, bound);
    yield page.map((communeInsee) => ({
      communeInsee,
      lines: computeCommuneLedgerLines(year, shared, facts.get(communeInsee) ?? [], communeInsee),
    }));
  }
}

const positionOf = (row: { basis_commit: string | number; basis_prepare: string | number }): Position => ({
  commit: Number(row.basis_commit),
  prepare: Number(row.basis_prepare),
});
