import { Logger } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { IssuedLedger } from '@lib/domain/ledger';
import { CommuneLines } from '@lib/projections/fee-ledger';
import { CSV_START, csvLine, csvTail } from './ledger.csv';
import { LedgerViewAssembler } from './ledger.view';

/** A year's ledger as it is read or computed: what was issued, and the communes' lines page by page in INSEE order. */
export interface YearLedgerSource {
  readonly issued: IssuedLedger;
  readonly pages: AsyncIterator<CommuneLines[]>;
}

/** What goes out in one write: large enough for few syscalls, small enough that the answer holds little. */
const CHUNK_CHARS = 64 * 1024;

/**
 * Writes a body in chunks, waiting for the socket to drain when it is full (a slow client costs one
 * chunk, not the whole answer), and failing as soon as the client has gone.
 */
export class ChunkedBody {
  private parts: string[] = [];
  private size = 0;

  constructor(private readonly response: ServerResponse) {}

  async write(text: string): Promise<void> {
    this.parts.push(text);
    this.size += text.length;
    if (this.size >= CHUNK_CHARS) await this.flush();
  }

  async end(): Promise<void> {
    await this.flush();
    this.response.end();
  }

  private async flush(): Promise<void> {
    const chunk = this.parts.join('');
    this.parts = [];
    this.size = 0;
    if (this.response.destroyed) throw new Error('The client closed the connection');
    if (!this.response.write(chunk)) await drained(this.response);
  }
}

function drained(response: ServerResponse): Promise<void> {
  return new Promise((resolve, reject) => {
    const onDrain = () => {
      response.off('close', onClose);
      resolve();
    };
    const onClose = () => {
      response.off('drain', onDrain);
      reject(new Error('The client closed the connection'));
    };
    response.once('drain', onDrain);
    response.once('close', onClose);
  });
}

/**
 * Streams a year's ledger: JSON exactly as `ledgerView` builds it (the same keys in the same order), or
 * the CSV of `ledgerCsv`. A failure before the first chunk went out (reading or computing the first
 * pages) rejects with nothing sent, so that the caller still answers with a problem+json. A failure
 * after the first byte cannot be one: the connection is then destroyed, so that the client sees a body
 * cut short (no final chunk of the chunked encoding), never one that looks complete.
 */
export async function streamYearLedger(
  response: ServerResponse,
  headers: Record<string, string>,
  format: 'json' | 'csv',
  year: number,
  knownAt: string,
  source: YearLedgerSource,
): Promise<void> {
  let page = await source.pages.next();
  const assembler = new LedgerViewAssembler(source.issued);
  response.statusCode = 200;
  for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
  const body = new ChunkedBody(response);
  try {
    await body.write(format === 'csv' ? CSV_START : `{"year":${JSON.stringify(year)},"knownAt":${JSON.stringify(knownAt)},"lines":[`);
    let first = true;
    while (!page.done) {
      for (const { communeInsee, lines } of page.value) {
        for (const line of assembler.commune(communeInsee, lines)) {
          if (format === 'csv') await body.write(csvLine(line));
          else {
            await body.write(first ? JSON.stringify(line) : ',' + JSON.stringify(line));
            first = false;
          }
        }
      }
      page = await source.pages.next();
    }
    const tail = assembler.finish();
    if (format === 'csv') await body.write(csvTail(year, tail));
    else {
      const { removedLines, totals, issues, version } = tail;
      await body.write(
        `],"removedLines":${JSON.stringify(removedLines)},"totals":${JSON.stringify(totals)},"issues":${JSON.stringify(issues)},"version":${JSON.stringify(version)}}`,
      );
    }
    await body.end();
  } catch (error) {
    await source.pages.return?.(undefined).catch(() => undefined);
    // Nothing sent yet (the first chunk was still being filled): the caller answers with a problem.
    if (!response.headersSent) {
      for (const name of Object.keys(headers)) response.removeHeader(name);
      throw error;
    }
    new Logger('Ledgers').error(`The ledger of ${year} failed after its first byte; connection closed: ${String(error)}`);
    response.destroy(error instanceof Error ? error : new Error(String(error)));
  }
}
