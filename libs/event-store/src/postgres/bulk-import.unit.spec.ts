import { eventHash } from '../integrity/event-hash';
import { ImportChecker, ImportRefusedError } from './bulk-import';

/** A chained archive of `count` events on two streams, as export-history writes it. */
function archive(count: number): Array<Record<string, unknown>> {
  const lines: Array<Record<string, unknown>> = [];
  let previousHash: string | null = null;
  const revisions: Record<string, number> = {};
  for (let i = 0; i < count; i++) {
    const streamId = i % 2 === 0 ? 'convention-a' : 'convention-b';
    revisions[streamId] = (revisions[streamId] ?? -1) + 1;
    const event = {
      id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      streamId,
      revision: revisions[streamId],
      type: 'AnnexAdded',
      schemaVersion: 1,
      data: { n: i },
      metadata: { actor: { id: 'a', role: 'admin' } },
      recordedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
    };
    const hash = eventHash(event, previousHash);
    lines.push({ position: `${i}/${i}`, ...event, previousHash, hash });
    previousHash = hash;
  }
  return lines;
}

/** The line number the checker refuses, or undefined if it accepts every line. */
function refusedAt(lines: Array<Record<string, unknown>>): { line: number; message: string } | undefined {
  const checker = new ImportChecker();
  try {
    lines.forEach((value, i) => checker.check(i + 1, value));
    return undefined;
  } catch (error) {
    if (!(error instanceof ImportRefusedError)) throw error;
    return { line: error.line, message: error.message };
  }
}

/** Changes line `i` and recomputes its hash, as a forger would: only the rule under test can catch it. */
function forge(lines: Array<Record<string, unknown>>, i: number, change: Record<string, unknown>) {
  const copy = lines.map((line) => ({ ...line }));
  const forged = { ...copy[i], ...change };
  copy[i] = { ...forged, hash: eventHash(forged as never, forged.previousHash as string | null) };
  if (copy[i + 1]) copy[i + 1] = { ...copy[i + 1], previousHash: copy[i].hash };
  return copy;
}

describe('ImportChecker', () => {
  it('accepts an archive as export-history writes it, and ends on its last hash', () => {
    const lines = archive(6);
    const checker = new ImportChecker();
    lines.forEach((value, i) => checker.check(i + 1, value));
    expect({ count: checker.count, headHash: checker.headHash }).toEqual({ count: 6, headHash: lines[5].hash });
  });

  it('refuses an incremental export (its first line chains to an event the empty store does not have)', () => {
    expect(refusedAt(archive(4).slice(2))).toEqual({ line: 1, message: expect.stringMatching(/previousHash|revision/) });
  });

  it.each([
    ['a revision that skips one', { revision: 2 }, /revision 2 where 1 comes next/],
    ['a recording instant before the previous line', { recordedAt: '2025-12-31T23:59:59.000Z' }, /is before the previous line/],
    ['a recording instant not in the stored form', { recordedAt: '2026-01-01T00:00:02Z' }, /ISO 8601/],
    ['a schema version that is not a whole number', { schemaVersion: 1.5 }, /schemaVersion/],
    ['metadata that is not an object', { metadata: [] }, /metadata/],
    ['an empty type', { type: '' }, /type/],
  ])('refuses %s, even with its hash recomputed', (_, change, reason) => {
    const refused = refusedAt(forge(archive(6), 2, change));
    expect(refused?.line).toBe(3);
    expect(refused?.message).toMatch(reason);
  });

  it('refuses a hash that is not 64 lower-case hex digits', () => {
    const lines = archive(3);
    lines[1] = { ...lines[1], hash: String(lines[1].hash).toUpperCase() };
    expect(refusedAt(lines)?.line).toBe(2);
  });
});
