import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { Command, CommandRunner, Option } from 'nest-commander';
import { RecordedEvent } from '@lib/event-store/event-store.port';
import { eventHash } from '@lib/event-store/integrity/event-hash';
import { ApiClient } from './api-client';

interface ExportOptions {
  out?: string;
  after?: string;
}

/**
 * `export-history [--out file] [--after position]`: the whole history for archives, as JSON Lines (one
 * event a line with its hash), streamed from GET /api/audit/export to a file or stdout. Each line's hash
 * is recomputed on the way (docs/audit.md): the command fails if the chain is broken, and prints the
 * last hash, to be kept apart from the archive as its seal. An auditor token: API_TOKEN, or one signed
 * with JWT_SECRET (the development secret outside production).
 */
@Command({
  name: 'export-history',
  description: 'write the history as JSON Lines (one event a line, with its hash), through the API, checking the chain',
})
export class ExportHistoryCommand extends CommandRunner {
  async run(_: string[], options: ExportOptions): Promise<void> {
    const query = options.after ? `?after=${encodeURIComponent(options.after)}` : '';
    const response = await new ApiClient(process.env, 'auditor').fetch('GET', `/audit/export${query}`, { accept: 'application/x-ndjson' });
    if (response.status !== 200 || !response.body) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
    const out = options.out ? createWriteStream(options.out) : process.stdout;
    let count = 0;
    let previous: string | null = null;
    let firstBroken: string | undefined;
    // Incremental exports (--after) start mid-chain: trust the first line's previousHash.
    let first = true;
    for await (const text of createInterface({ input: Readable.fromWeb(response.body) })) {
      if (text === '') continue;
      const line = JSON.parse(text) as Omit<RecordedEvent, 'position'> & {
        position: string;
        previousHash: string | null;
        hash: string | null;
      };
      if (first) previous = line.previousHash;
      first = false;
      const expected = eventHash(line, previous);
      if (!firstBroken && (line.previousHash !== previous || line.hash !== expected)) firstBroken = line.position;
      previous = line.hash;
      count++;
      if (!out.write(`${text}\n`)) await once(out, 'drain');
    }
    if (options.out) {
      out.end();
      await once(out, 'finish');
    }
    process.stderr.write(`${count} events exported${options.out ? ` to ${options.out}` : ''}; last hash ${previous ?? '(none)'}\n`);
    if (firstBroken) throw new Error(`The chain is broken at position ${firstBroken}: GET /api/audit/verify tells more`);
  }

  @Option({ flags: '-o, --out <file>', description: 'write to this file instead of stdout' })
  parseOut(value: string): string {
    return value;
  }

  @Option({ flags: '--after <position>', description: 'only the events after this position (an incremental export)' })
  parseAfter(value: string): string {
    return value;
  }
}
