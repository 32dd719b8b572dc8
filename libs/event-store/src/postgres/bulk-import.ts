import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { checkAppend } from '../append-rules';
import { HashedContent, eventHash } from '../integrity/event-hash';

/*
 * Restoring an archive (export-history's JSON Lines) into an empty PostgreSQL or PGlite store: each
 * line is checked here, in file order, before it reaches the database (PostgresEventStore.importEvents
 * inserts the checked events as they are, in one transaction).
 */

/** One line of export-history's JSON Lines: the hashed content, the previous line's hash and its own. */
export interface ExportedEvent extends HashedContent {
  previousHash: string | null;
  hash: string;
}

/** A line the import refuses: nothing is imported. `line` is 1-based. */
export class ImportRefusedError extends Error {
  readonly code = 'IMPORT_REFUSED';
  constructor(
    readonly line: number,
    reason: string,
  ) {
    super(`Line ${line}: ${reason}`);
    this.name = 'ImportRefusedError';
  }
}

/** The target already holds events: an import only restores into an empty store. */
export class StoreNotEmptyError extends Error {
  readonly code = 'STORE_NOT_EMPTY';
  constructor(readonly events: number) {
    super(`The store already holds ${events} events: import-events only restores into an empty store`);
    this.name = 'StoreNotEmptyError';
  }
}

const HASH = /^[0-9a-f]{64}$/;

/**
 * Checks each line of an archive in file order, as the store would have recorded it: ids unique (and
 * UUIDs), each stream's revisions 0, 1, 2…, recording instants never decreasing along the log (as the
 * store records them), and each hash recomputed from the line's content and the previous line's hash
 * (docs/audit.md), so a changed, removed, inserted or moved line is refused where it is.
 */
export class ImportChecker {
  private readonly ids = new Set<string>();
  private readonly nextRevisions = new Map<string, number>();
  private previousHash: string | null = null;
  private lastRecordedAt = '';
  private checked = 0;

  /** The hash of the last line checked: what the store's chain must end with. */
  get headHash(): string | null {
    return this.previousHash;
  }

  get count(): number {
    return this.checked;
  }

  /** `value` is the parsed line; returns the event to insert, or throws ImportRefusedError. */
  check(line: number, value: unknown): ExportedEvent {
    const refuse = (reason: string): never => {
      throw new ImportRefusedError(line, reason);
    };
    if (value === null || typeof value !== 'object' || Array.isArray(value)) refuse('not a JSON object');
    const v = value as Record<string, unknown>;
    const { id, streamId, revision, type, schemaVersion, data, metadata, recordedAt, previousHash, hash } = v;
    try {
      checkAppend(streamId as string, [{ id: id as string, type: '', schemaVersion: 0, data: null, metadata: {} }], 'any');
    } catch (error) {
      refuse((error as Error).message);
    }
    const lowerId = (id as string).toLowerCase();
    if (this.ids.has(lowerId)) refuse(`event id ${String(id)} appears twice`);
    if (typeof type !== 'string' || type.length === 0) refuse('type is a non-empty string');
    // schema_version is a PostgreSQL integer.
    if (!Number.isInteger(schemaVersion) || (schemaVersion as number) < 0 || (schemaVersion as number) > 2 ** 31 - 1) {
      refuse('schemaVersion is a whole number');
    }
    if (!('data' in v)) refuse('data is missing');
    if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) refuse('metadata is a JSON object');
    // Stored as timestamptz(3) and given back by toISOString(): only that exact form hashes the same afterwards.
    if (typeof recordedAt !== 'string' || Number.isNaN(Date.parse(recordedAt)) || new Date(recordedAt).toISOString() !== recordedAt) {
      refuse('recordedAt is an ISO 8601 UTC instant with milliseconds (YYYY-MM-DDTHH:MM:SS.sssZ)');
    }
    if ((recordedAt as string) < this.lastRecordedAt)
      refuse(`recordedAt ${String(recordedAt)} is before the previous line's ${this.lastRecordedAt}`);
    const expectedRevision = this.nextRevisions.get(streamId as string) ?? 0;
    if (revision !== expectedRevision) {
      refuse(
        `stream ${String(streamId)} has revision ${String(revision)} where ${expectedRevision} comes next (revisions run 0, 1, 2… in file order)`,
      );
    }
    if (typeof hash !== 'string' || !HASH.test(hash)) refuse('hash is 64 lower-case hexadecimal digits');
    if (previousHash !== this.previousHash) {
      refuse(
        `previousHash ${String(previousHash)} is not the previous line's hash ${String(this.previousHash)} (a line removed, moved or from another archive)`,
      );
    }
    const event: ExportedEvent = {
      id: lowerId,
      streamId: streamId as string,
      revision: revision as number,
      type: type as string,
      schemaVersion: schemaVersion as number,
      data,
      metadata: metadata as ExportedEvent['metadata'],
      recordedAt: recordedAt as string,
      previousHash: this.previousHash,
      hash: hash as string,
    };
    if (eventHash(event, this.previousHash) !== hash)
      refuse('the hash is not the one its content and the previous hash give (the line was changed)');
    this.ids.add(lowerId);
    this.nextRevisions.set(event.streamId, expectedRevision + 1);
    this.previousHash = event.hash;
    this.lastRecordedAt = event.recordedAt;
    this.checked++;
    return event;
  }
}

/** An archive file's lines, parsed and checked (ImportChecker), in batches; `at` is told the number of each line read. */
export async function* readArchive(
  file: string,
  checker: ImportChecker,
  batchSize = 5000,
  at: (line: number) => void = () => undefined,
): AsyncGenerator<ExportedEvent[]> {
  let batch: ExportedEvent[] = [];
  let line = 0;
  for await (const text of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    at(++line);
    if (text === '') continue; // export-history ends with a newline; a blank line carries nothing
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new ImportRefusedError(line, `not JSON (${(error as Error).message})`);
    }
    batch.push(checker.check(line, value));
    if (batch.length >= batchSize) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
