import { Inject, Injectable } from '@nestjs/common';
import { LedgerFactsSource } from '@lib/application/ledgers';
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
import { FEE_LEDGER_TABLES, readLedgerFacts } from '@lib/projections/fee-ledger';
import { ProjectionHost } from '../projections/projection-host';

export interface ComputedLedger {
  lines: FeeLedgerLine[];
  issued: IssuedLedger;
}

/** Computes a year's ledger from the fee-ledger read model's facts (see fee-ledger.projection.ts). */
@Injectable()
export class LedgerReader implements LedgerFactsSource {
  constructor(
    @Inject(SQL_DATABASE) private readonly db: SqlDatabase,
    private readonly host: ProjectionHost,
  ) {}

  /** R-TIME-1: the ledger from the facts recorded up to `knownAt` (every fact projected so far without it). */
  async ledger(year: number, knownAt: string | undefined, communeInsee?: string): Promise<ComputedLedger> {
    const facts = await readLedgerFacts(this.db, FEE_LEDGER_TABLES, { year, knownAt, communeInsee });
    return { lines: computeLedgerLines(year, foldLedgerFacts(facts), communeInsee), issued: issuedOf(facts) };
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
