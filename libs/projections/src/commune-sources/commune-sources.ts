import { CONVENTION_STREAM_PREFIX, ConventionEvent, ConventionState, evolveConvention, noConvention } from '@lib/domain/convention';
import { Entitlement, communeEntitlements } from '@lib/domain/entitlements';
import { COMMUNE_STREAM_PREFIX, CommuneEvent, CommuneState, emptyCommune, evolveCommune } from '@lib/domain/reference';
import { SqlExecutor } from '@lib/event-store/sql/sql-database';
import { ProjectedEvent } from '../runner/projection';

/*
 * What a commune's access is derived from (communeEntitlements): each of its conventions and its own
 * reference facts (its legacy conventions), each stream folded into a state kept in a table of the
 * projection's (the entitlements and the feed projections each keep one, so each rebuilds alone).
 */

/** A stream that decides a commune's access, folded: a convention, or the commune's reference facts. */
export type CommuneSource =
  | { readonly kind: 'convention'; readonly communeInsee: string; readonly state: ConventionState }
  | { readonly kind: 'commune'; readonly communeInsee: string; readonly state: CommuneState };

/**
 * Pure: a convention or commune event evolves its stream's state (`before`, undefined for a stream not
 * seen yet). undefined for an event that says nothing about access: a stream of another kind, or a
 * convention stream not yet signed.
 */
export function evolveCommuneSource(
  streamId: string,
  before: CommuneSource['state'] | undefined,
  event: ConventionEvent | CommuneEvent,
): CommuneSource | undefined {
  if (streamId.startsWith(CONVENTION_STREAM_PREFIX)) {
    const state = evolveConvention((before as ConventionState | undefined) ?? noConvention(), event as ConventionEvent);
    return state.status === 'none' ? undefined : { kind: 'convention', communeInsee: state.communeInsee, state };
  }
  if (streamId.startsWith(COMMUNE_STREAM_PREFIX)) {
    const state = evolveCommune((before as CommuneState | undefined) ?? emptyCommune(), event as CommuneEvent);
    return { kind: 'commune', communeInsee: streamId.slice(COMMUNE_STREAM_PREFIX.length), state };
  }
  return undefined;
}

/** A commune's entitlements from its sources, as the domain derives them (communeEntitlements, the one place the rules live). */
export function entitlementsOf(sources: readonly CommuneSource[]): Entitlement[] {
  let commune = emptyCommune();
  const conventions: ConventionState[] = [];
  for (const source of sources) {
    if (source.kind === 'commune') commune = source.state;
    else conventions.push(source.state);
  }
  return communeEntitlements(commune, conventions);
}

/** Creates the sources table (and its index by commune) if missing. */
export async function setupCommuneSources(tx: SqlExecutor, table: string): Promise<void> {
  await tx.query(
    `CREATE TABLE IF NOT EXISTS ${table} (stream_id text PRIMARY KEY, commune_insee text NOT NULL, kind text NOT NULL, state jsonb NOT NULL)`,
  );
  await tx.query(`CREATE INDEX IF NOT EXISTS ${table}_by_commune ON ${table} (commune_insee)`);
}

/** One event folded into its stream's source: the new source and the state before (for what changed). */
export interface SourceStep {
  readonly event: ProjectedEvent;
  readonly source: CommuneSource;
  readonly before: CommuneSource['state'] | undefined;
}

interface SourceRow {
  stream_id: string;
  commune_insee: string;
  kind: CommuneSource['kind'];
  state: CommuneSource['state'];
}

/**
 * A batch of events folded into the sources table in memory: the states of the batch's streams and all
 * the sources of the communes they touch are read once (two statements), every event is folded in
 * order, and the changed sources are written back in one statement. `steps[i]` is events[i] folded
 * (undefined when it says nothing about access). A caller walks the steps in order and calls advance()
 * on each before sourcesOf(): the commune's sources are then exactly those a per-event fold would read.
 */
export class CommuneSourcesBatch {
  private readonly changed = new Map<string, CommuneSource>();

  private constructor(
    readonly steps: readonly (SourceStep | undefined)[],
    private readonly communes: Map<string, Map<string, CommuneSource>>,
  ) {}

  static async fold(tx: SqlExecutor, table: string, events: readonly ProjectedEvent[]): Promise<CommuneSourcesBatch> {
    const streamIds = [...new Set(events.map((event) => event.streamId))];
    const { rows: known } = await tx.query<SourceRow>(`SELECT stream_id, state FROM ${table} WHERE stream_id = ANY ($1::text[])`, [
      streamIds,
    ]);
    const states = new Map<string, CommuneSource['state']>(known.map((row) => [row.stream_id, row.state]));
    const steps = events.map((projected): SourceStep | undefined => {
      const before = states.get(projected.streamId);
      const source = evolveCommuneSource(projected.streamId, before, projected.event as ConventionEvent | CommuneEvent);
      if (!source) return undefined;
      // The states are plain data (null, never undefined, no class): the next event folds what the table
      // would give back, without a JSON round trip per event (the batch/per-event property test checks it).
      states.set(projected.streamId, source.state);
      return { event: projected, source, before };
    });
    const touched = [...new Set(steps.flatMap((step) => (step ? [step.source.communeInsee] : [])))];
    const communes = new Map<string, Map<string, CommuneSource>>(touched.map((insee) => [insee, new Map()]));
    if (touched.length > 0) {
      const { rows } = await tx.query<SourceRow>(
        `SELECT stream_id, commune_insee, kind, state FROM ${table} WHERE commune_insee = ANY ($1::text[])`,
        [touched],
      );
      for (const row of rows) {
        communes
          .get(row.commune_insee)!
          .set(row.stream_id, { kind: row.kind, communeInsee: row.commune_insee, state: row.state } as CommuneSource);
      }
    }
    return new CommuneSourcesBatch(steps, communes);
  }

  /** The step's source takes its place among its commune's sources. */
  advance(step: SourceStep): void {
    const { streamId } = step.event;
    this.communes.get(step.source.communeInsee)!.set(streamId, step.source);
    this.changed.set(streamId, step.source);
  }

  /** The commune's sources, in stream id byte order (as readCommuneSources gives them). */
  sourcesOf(communeInsee: string): CommuneSource[] {
    const sources = this.communes.get(communeInsee);
    if (!sources) return [];
    return [...sources.keys()].sort(compareBytes).map((streamId) => sources.get(streamId)!);
  }

  /** Writes the sources the batch changed, in one statement (an upsert, as the per-event fold wrote them). */
  async write(tx: SqlExecutor, table: string): Promise<void> {
    if (this.changed.size === 0) return;
    const rows = [...this.changed].map(([stream_id, source]) => ({
      stream_id,
      commune_insee: source.communeInsee,
      kind: source.kind,
      state: source.state,
    }));
    await tx.query(
      `INSERT INTO ${table} (stream_id, commune_insee, kind, state)
       SELECT stream_id, commune_insee, kind, state FROM jsonb_to_recordset($1::jsonb) AS r(stream_id text, commune_insee text, kind text, state jsonb)
       ON CONFLICT (stream_id) DO UPDATE SET state = EXCLUDED.state`,
      [JSON.stringify(rows)],
    );
  }
}

/** Byte order of the UTF-8 encodings (COLLATE "C"), which is code point order: not JS's UTF-16 code unit order. */
export function compareBytes(a: string, b: string): number {
  if (a === b) return 0;
  for (let i = 0, j = 0; i < a.length && j < b.length;) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(j)!;
    if (x !== y) return x < y ? -1 : 1;
    i += x > 0xffff ? 2 : 1;
    j += y > 0xffff ? 2 : 1;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}
