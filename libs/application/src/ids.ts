import { createHash, randomUUID } from 'node:crypto';

/** RFC 4122 name-based (version 5, SHA-1) UUID. */
export function uuidV5(name: string, namespace: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const hash = createHash('sha1').update(ns).update(name, 'utf8').digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Namespace of this product's name-based ids (a fixed random UUID; never change it: ids derive from it). */
const NAMESPACE = '2f1c7a52-5d0e-4d8a-9a57-3c2b8f0e6d41';

/**
 * Ids of the events a command records. With an Idempotency-Key they derive from it, so that a retry
 * (even after a crash between the append and the stored answer) proposes the very same events and the
 * store's idempotent append records nothing new. Without one they are random.
 */
export function eventIdsFor(commandId: string, idempotent: boolean): (index: number) => string {
  return idempotent ? (index) => uuidV5(`${commandId}/${index}`, NAMESPACE) : () => randomUUID();
}

/** The command id: derived from the caller and its Idempotency-Key when there is one. */
export function commandIdFor(actorId: string, idempotencyKey: string | undefined): string {
  return idempotencyKey ? uuidV5(`${actorId}/${idempotencyKey}`, NAMESPACE) : randomUUID();
}
