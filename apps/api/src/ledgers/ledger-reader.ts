import { Inject, Injectable } from '@nestjs/common';
import { LedgerFactsSource } from '@lib/application/ledgers';
import { coalesced } from '@lib/event-store/coalesced';
import { SQL_DATABASE } from '@lib/event-store/event-store.module';
import { Position } from '@lib/event-store/event-store.port';
import { SqlDatabase } from '@lib/event-store/sql/sql-database';
import {
  FeeLedgerLine,
  IssuedLedger,
  LedgerFact,
  LedgerIssued,
  computeLedgerLines,
  evolveIssuedLedger,
  foldLedgerFacts,
  noIssue,
} from '@lib/domain/ledger';
import {
  FEE_LEDGER_TABLES,
  computeCommuneLines,
  ledgerFactsHead,
  readLedgerFacts,
  readLedgerIssueFacts,
  readLedgerLines,
  refreshLedgerLines,
  setupLedgerLines,
} from '@lib/projections/fee-ledger';
import { ProjectionHost } from '../projections/projection-host';
import { YearLedgerSource } from './ledger-stream';

export interface ComputedLedger {
  lines: FeeLedgerLine[];
  issued: IssuedLedger;
}

/**
 * A ledger from the fee-ledger read model's facts (see fee-ledger.projection.ts): a commune's, or an
 * issue's, computed from its facts at once; a whole year, streamed commune by commune, from the lines
 * materialised per commune (ledger-lines.materialised.ts) or, as known at an instant, computed from
 * the facts recorded by then.
 */
@Injectable()
export class LedgerReader implements LedgerFactsSource {
  private linesReady?: Promise<void>;
  /** One refresh of a year at a time in this process, shared by the reads that arrive meanwhile (coalesced.ts). */
  private readonly refreshes = new Map<number, () => Promise<Position>>();

  constructor(
    @Inject(SQL_DATABASE) private readonly db: SqlDatabase,
    private readonly host: ProjectionHost,
  ) {}

  /** R-TIME-1: the ledger from the facts recorded up to `knownAt` (every fact projected so far without it). */
  async ledger(year: number, knownAt: string | undefined, communeInsee?: string): Promise<ComputedLedger> {
    const facts = await readLedgerFacts(this.db, FEE_LEDGER_TABLES, { year, knownAt, communeInsee });
    return { lines: computeLedgerLines(year, foldLedgerFacts(facts), communeInsee), issued: issuedOf(facts) };
  }

  /**
   * The whole year, page by page. Without `knownAt`: the materialised lines, first brought up to the
   * read model's last fact (which waits when facts arrived since: recomputing a commune takes well under
   * a millisecond, the year after a fact about every commune a few seconds at national scale). With
   * `knownAt`: computed from the facts recorded by then and held by the read model now, a commune page
   * at a time (the cost of a national fold, in pages: memory stays bounded).
   */
  async yearLedger(year: number, knownAt: string | undefined): Promise<YearLedgerSource> {
    if (knownAt === undefined) {
      this.linesReady ??= setupLedgerLines(this.db).catch((error: unknown) => {
        this.linesReady = undefined;
        throw error;
      });
      await this.linesReady;
      let refresh = this.refreshes.get(year);
      if (!refresh) this.refreshes.set(year, (refresh = coalesced(() => refreshLedgerLines(this.db, year))));
      const basis = await refresh();
      const issues = await readLedgerIssueFacts(this.db, FEE_LEDGER_TABLES, year, { upTo: basis });
      return { issued: issuedOf(issues), pages: readLedgerLines(this.db, year, basis) };
    }
    const bound = { upTo: await ledgerFactsHead(this.db, FEE_LEDGER_TABLES), knownAt };
    const issues = await readLedgerIssueFacts(this.db, FEE_LEDGER_TABLES, year, bound);
    return { issued: issuedOf(issues), pages: computeCommuneLines(this.db, year, bound) };
  }

  /** For an issue: every fact up to `position`, once the read model has them all (else 503, as a read with minPosition). */
  async factsUpTo(year: number, position: Position): Promise<LedgerFact[]> {
    await this.host.ensureCaughtUp(position);
    return readLedgerFacts(this.db, FEE_LEDGER_TABLES, { year, upTo: position });
  }
}

function issuedOf(facts: readonly LedgerFact[]): IssuedLedger {
  return facts
    .filter((fact) => fact.type === 'LedgerIssued')
    .reduce(
      (state, fact) => evolveIssuedLedger(state, { type: 'LedgerIssued', schemaVersion: 1, data: fact.data as LedgerIssued['data'] }),
      noIssue(),
    );
}
