import fc from 'fast-check';
import type { EsdbRecordedEvent, Filter } from './client';
import {
  fromEsdbCurrentRevision,
  fromEsdbEvent,
  isAfter,
  matchesFilter,
  toEsdbEvent,
  toEsdbExpectedRevision,
  toEsdbReadPosition,
  toEsdbReadRevision,
  toPosition,
  toServerFilter,
} from './eventstoredb-event-store';
import { AllFilter, EventToAppend, START } from '../event-store.port';

// The mappings between the port and the EventStoreDB client; the adapter's behaviour against a real
// server is the contract suite's job (test/event-store.eventstoredb.int.spec.ts).

describe('expected revision', () => {
  it('maps each port expectation to the client constant or a bigint revision', () => {
    expect(toEsdbExpectedRevision('any')).toBe('any');
    expect(toEsdbExpectedRevision('no_stream')).toBe('no_stream');
    expect(toEsdbExpectedRevision('stream_exists')).toBe('stream_exists');
    expect(toEsdbExpectedRevision(0)).toBe(0n);
    expect(toEsdbExpectedRevision(41)).toBe(41n);
  });

  it.each([-1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1])('refuses %p, which is no revision', (bad) => {
    expect(() => toEsdbExpectedRevision(bad)).toThrow(RangeError);
  });

  it("reports the actual revision of a failed expectation, or 'no_stream' for an absent stream", () => {
    expect(fromEsdbCurrentRevision('no_stream')).toBe('no_stream');
    expect(fromEsdbCurrentRevision(-1n)).toBe('no_stream'); // how older servers say it
    expect(fromEsdbCurrentRevision(0n)).toBe(0);
    expect(fromEsdbCurrentRevision(12n)).toBe(12);
  });
});

describe('read start', () => {
  it('reads a stream from its start forwards and from its end backwards by default', () => {
    expect(toEsdbReadRevision(undefined, 'forwards')).toBe('start');
    expect(toEsdbReadRevision(undefined, 'backwards')).toBe('end');
    expect(toEsdbReadRevision('start', 'backwards')).toBe('start');
    expect(toEsdbReadRevision('end', 'forwards')).toBe('end');
    expect(toEsdbReadRevision(3, 'backwards')).toBe(3n);
  });

  it("reads $all after START from the server's start, and after a position from that position", () => {
    expect(toEsdbReadPosition(START)).toBe('start');
    expect(toEsdbReadPosition({ commit: 1200, prepare: 1100 })).toEqual({ commit: 1200n, prepare: 1100n });
  });
});

describe('positions', () => {
  it('converts the bigint commit/prepare pair to numbers', () => {
    expect(toPosition({ commit: 5043n, prepare: 5043n })).toEqual({ commit: 5043, prepare: 5043 });
  });

  it('refuses a missing position and the max-uint64 placeholder older servers put on stream reads', () => {
    expect(() => toPosition(undefined)).toThrow();
    expect(() => toPosition({ commit: 18446744073709551615n, prepare: 18446744073709551615n })).toThrow(RangeError);
  });

  it('skips the event at the checkpoint (the server read includes it) and keeps only later ones', () => {
    const after = { commit: 2000, prepare: 2000 };
    expect(isAfter({ commit: 2000n, prepare: 2000n }, after)).toBe(false);
    expect(isAfter({ commit: 1900n, prepare: 1900n }, after)).toBe(false);
    expect(isAfter({ commit: 2000n, prepare: 2100n }, after)).toBe(true);
    expect(isAfter({ commit: 2150n, prepare: 2150n }, after)).toBe(true);
  });

  it('keeps every event after START, even one recorded at 0/0', () => {
    expect(isAfter({ commit: 0n, prepare: 0n }, START)).toBe(true);
  });
});

describe('envelope', () => {
  const toAppend: EventToAppend = {
    id: '6f1c2b0e-8a4f-4c59-9d3e-2b7a1c0d9e11',
    type: 'ConventionSigned',
    schemaVersion: 2,
    data: { conventionId: 'c-1', insee: '69123' },
    metadata: { actor: { id: 'u-7', role: 'admin' }, reason: 'signature', commandId: 'cmd-1' },
  };

  it('writes a JSON event whose metadata carries the schema version', () => {
    expect(toEsdbEvent(toAppend)).toEqual({
      id: '6f1c2b0e-8a4f-4c59-9d3e-2b7a1c0d9e11',
      contentType: 'application/json',
      type: 'ConventionSigned',
      data: { conventionId: 'c-1', insee: '69123' },
      metadata: { actor: { id: 'u-7', role: 'admin' }, reason: 'signature', commandId: 'cmd-1', schemaVersion: 2 },
    });
  });

  it('reads the schema version back out of the metadata, with revision, position and the recording instant', () => {
    const recorded = {
      streamId: 'convention-c-1',
      id: '6f1c2b0e-8a4f-4c59-9d3e-2b7a1c0d9e11',
      isJson: true,
      revision: 3n,
      type: 'ConventionSigned',
      created: new Date(Date.UTC(2026, 0, 15, 9, 30, 0, 125)),
      data: { conventionId: 'c-1', insee: '69123' },
      metadata: { actor: { id: 'u-7', role: 'admin' }, reason: 'signature', commandId: 'cmd-1', schemaVersion: 2 },
      position: { commit: 8812n, prepare: 8812n },
    } as EsdbRecordedEvent;
    expect(fromEsdbEvent(recorded)).toEqual({
      id: '6f1c2b0e-8a4f-4c59-9d3e-2b7a1c0d9e11',
      type: 'ConventionSigned',
      schemaVersion: 2,
      data: { conventionId: 'c-1', insee: '69123' },
      metadata: { actor: { id: 'u-7', role: 'admin' }, reason: 'signature', commandId: 'cmd-1' },
      streamId: 'convention-c-1',
      revision: 3,
      position: { commit: 8812, prepare: 8812 },
      recordedAt: '2026-01-15T09:30:00.125Z',
    });
  });

  it('reads an event written by another tool, without metadata, as schema version 1 with empty metadata', () => {
    const recorded = {
      streamId: 'legacy-1',
      id: '0b0c9a52-31c6-4d7e-8f1a-7e2d3c4b5a60',
      isJson: true,
      revision: 0n,
      type: 'LegacyImported',
      created: new Date(Date.UTC(2025, 5, 1)),
      data: { a: 1 },
      metadata: undefined,
      position: { commit: 10n, prepare: 10n },
    } as EsdbRecordedEvent;
    const event = fromEsdbEvent(recorded);
    expect(event.schemaVersion).toBe(1);
    expect(event.metadata).toEqual({});
  });

  it('gives back, through the JSON the server stores, exactly what was written', () => {
    const key = fc.stringMatching(/^[a-z][a-zA-Z0-9]{0,8}$/).filter((k) => k !== 'schemaVersion');
    const jsonObject = fc.dictionary(key, fc.jsonValue(), { maxKeys: 5 });
    fc.assert(
      fc.property(
        fc.uuid(),
        fc.stringMatching(/^[A-Z][A-Za-z]{0,20}$/),
        fc.integer({ min: 1, max: 50 }),
        jsonObject,
        jsonObject,
        (id, type, schemaVersion, data, metadata) => {
          const written = toEsdbEvent({ id, type, schemaVersion, data, metadata });
          const viaServer = JSON.parse(JSON.stringify(written)) as { data: unknown; metadata: unknown };
          const read = fromEsdbEvent({
            streamId: 's-1',
            id: written.id,
            isJson: true,
            revision: 0n,
            type: written.type,
            created: new Date(0),
            data: viaServer.data,
            metadata: viaServer.metadata,
            position: { commit: 1n, prepare: 1n },
          } as EsdbRecordedEvent);
          expect(read.id).toBe(id);
          expect(read.type).toBe(type);
          expect(read.schemaVersion).toBe(schemaVersion);
          expect(read.data).toEqual(JSON.parse(JSON.stringify(data)));
          expect(read.metadata).toEqual(JSON.parse(JSON.stringify(metadata)));
        },
      ),
    );
  });
});

describe('filters', () => {
  it("never delivers the server's own events: $-prefixed types or $-prefixed streams", () => {
    expect(matchesFilter({ streamId: '$stats-127.0.0.1:2113', type: 'StatsCollected' }, undefined)).toBe(false);
    expect(matchesFilter({ streamId: 'convention-1', type: '$metadata' }, undefined)).toBe(false);
    expect(matchesFilter({ streamId: 'convention-1', type: 'ConventionSigned' }, undefined)).toBe(true);
  });

  it('keeps only the listed event types, exactly, and only streams with the prefix', () => {
    const filter: AllFilter = { eventTypes: ['AnnexAdded', 'ConventionSigned'], streamPrefix: 'convention-' };
    expect(matchesFilter({ streamId: 'convention-1', type: 'AnnexAdded' }, filter)).toBe(true);
    expect(matchesFilter({ streamId: 'convention-1', type: 'AnnexAddedLater' }, filter)).toBe(false);
    expect(matchesFilter({ streamId: 'catalogue', type: 'AnnexAdded' }, filter)).toBe(false);
  });

  it('asks the server to filter by stream prefix first, else by exact event types, else to drop system events', () => {
    expect(toServerFilter({ streamPrefix: 'convention-', eventTypes: ['AnnexAdded'] })).toMatchObject({
      filterOn: 'streamName',
      prefixes: ['convention-'],
    });
    expect(toServerFilter({ eventTypes: ['A.b', 'C'] })).toMatchObject({ filterOn: 'eventType', regex: '^(?:A\\.b|C)$' });
    expect(toServerFilter(undefined)).toMatchObject({ filterOn: 'eventType', regex: '^[^$].*' });
  });

  it('never lets the server drop an event that the filter keeps', () => {
    // Small alphabets with '$' and regex metacharacters, so that collisions and escapes are exercised.
    const name = fc.stringMatching(/^[$a-c.-]{1,4}$/);
    const prefix = fc.stringMatching(/^[$a-c.-]{0,3}$/);
    const filter = fc.record({
      eventTypes: fc.option(fc.array(name, { maxLength: 3 }), { nil: undefined }),
      streamPrefix: fc.option(prefix, { nil: undefined }),
    });
    fc.assert(
      fc.property(filter, name, name, (f, streamId, type) => {
        if (matchesFilter({ streamId, type }, f)) expect(serverAccepts(toServerFilter(f), { streamId, type })).toBe(true);
      }),
    );
  });
});

/** What the server does with a filter (prefix or regex match on the stream name or event type). */
function serverAccepts(filter: Filter, event: { streamId: string; type: string }): boolean {
  const value = filter.filterOn === 'streamName' ? event.streamId : event.type;
  if ('prefixes' in filter) return filter.prefixes.some((p) => value.startsWith(p));
  return new RegExp(filter.regex).test(value);
}
