import { uuidV5, eventIdsFor, commandIdFor } from './ids';

describe('name-based ids', () => {
  it('match the RFC 4122 test vector (DNS namespace, "www.example.com")', () => {
    // Published v5 value for the DNS namespace 6ba7b810-9dad-11d1-80b4-00c04fd430c8.
    expect(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });

  it('give a retried idempotent command the same event ids, and another command other ids', () => {
    const first = commandIdFor('alice', 'key-1');
    expect(commandIdFor('alice', 'key-1')).toBe(first);
    expect(commandIdFor('bob', 'key-1')).not.toBe(first);
    const ids = eventIdsFor(first, true);
    expect([ids(0), ids(1)]).toEqual([eventIdsFor(first, true)(0), eventIdsFor(first, true)(1)]);
    expect(ids(0)).not.toBe(ids(1));
  });

  it('are random without an idempotency key', () => {
    expect(commandIdFor('alice', undefined)).not.toBe(commandIdFor('alice', undefined));
  });
});
