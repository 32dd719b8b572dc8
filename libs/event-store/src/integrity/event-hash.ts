import { createHash } from 'node:crypto';
import { Position, RecordedEvent } from '../event-store.port';
import type { VerifiableLog } from '../postgres/verifiable-log';
import { EMPTY_FRONTIER, EMPTY_TREE_HASH, Frontier, appendLeaves, frontierRoot, leafHash } from './merkle';
import type { SignedTreeHead } from './tree-head';

/**
 * The integrity chain (R-AUD-1, R-TIME-2): each event's hash covers its content and the hash of the
 * event before it in the global order, so that changing, removing or inserting a stored event breaks
 * the chain from that event on. SHA-256 over a canonical JSON text, so that any tool can recompute it
 * (docs/audit.md gives the recipe).
 */
export type HashedContent = Pick<
  RecordedEvent,
  'id' | 'streamId' | 'revision' | 'type' | 'schemaVersion' | 'data' | 'metadata' | 'recordedAt'
>;

/**
 * JSON with object keys sorted (by UTF-16 code units, JavaScript's default order) and no spaces: the
 * same value gives the same text whatever order its keys were written in (jsonb reorders them).
 * `undefined` members are left out, as JSON.stringify and jsonb do.
 */
export function integrityJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : integrityJson(item))).join(',')}]`;
  const entries = Object.keys(value)
    .sort()
    .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
    .map((key) => `${JSON.stringify(key)}:${integrityJson((value as Record<string, unknown>)[key])}`);
  return `{${entries.join(',')}}`;
}

function hashedContent(event: HashedContent) {
  return {
    id: event.id.toLowerCase(),
    streamId: event.streamId,
    revision: event.revision,
    type: event.type,
    schemaVersion: event.schemaVersion,
    data: event.data ?? null,
    metadata: event.metadata ?? {},
    recordedAt: event.recordedAt,
  };
}

/** The hash of an event given the previous event's hash (null for the first event). Lower-case hex. */
export function eventHash(event: HashedContent, previousHash: string | null): string {
  return createHash('sha256')
    .update(integrityJson({ ...hashedContent(event), previousHash }), 'utf8')
    .digest('hex');
}

/**
 * An event as a leaf of the log's Merkle tree (integrity/merkle.ts): the same canonical JSON as the chain
 * hashes, without the previous hash (the tree orders the leaves), in UTF-8. Its leaf hash is
 * SHA-256(0x00 ‖ these bytes).
 */
export function eventLeafData(event: HashedContent): Buffer {
  return Buffer.from(integrityJson(hashedContent(event)), 'utf8');
}

/** An event with the hash its store recorded for it (null: recorded without one, e.g. written around the store). */
export interface ChainLink {
  event: RecordedEvent;
  hash: string | null;
}

/** How far a store that seals after the append (PostgreSQL, PGlite) has sealed. `position` null and `size` 0 before the first event. */
export interface SealHead {
  position: Position | null;
  /** Events in the sealed prefix (the tree size, once the chain is a Merkle tree). */
  size: number;
  /** The hash of the last sealed event (the tree's root, then). */
  hash: string | null;
  sealedAt: string | null;
}

/** The committed events above the seal head, not chained yet. */
export interface UnsealedTail {
  count: number;
  oldestRecordedAt: string | null;
  oldestAgeMs: number | null;
}

/** The log's Merkle tree (RFC 9162) as the sealer has built it: `size` leaves, the first ones of the global order. */
export interface TreeState {
  size: number;
  /** MTH of those leaves, lower-case hex (SHA-256 of nothing for the empty tree). */
  root: string;
}

export interface SealState {
  head: SealHead;
  tree: TreeState;
  tail: UnsealedTail;
  /** How long an acknowledged event may stay unsealed. */
  boundMs: number;
}

/** A store that keeps the chain beside its events (PostgreSQL, PGlite, in-memory; not EventStoreDB). */
export interface ChainedEventStore {
  /**
   * The global order with each event's stored hash, after a position (exclusive), streamed. A store that
   * seals after the append gives its sealed prefix through `until` (inclusive; null: nothing); without
   * `until`, it first seals every event acknowledged before the read.
   */
  readChain(options?: { after?: Position; until?: Position | null }): AsyncIterable<ChainLink>;
  /** Only stores that seal after the append. */
  sealState?(): Promise<SealState>;
  /** Only stores that keep the log's Merkle tree (PostgreSQL, PGlite): its proofs and signed heads. */
  verifiableLog?(): VerifiableLog;
}

export function isChainedEventStore(store: unknown): store is ChainedEventStore {
  return typeof (store as Partial<ChainedEventStore> | null)?.readChain === 'function';
}

export interface ChainVerification {
  ok: boolean;
  /** Events read. */
  checked: number;
  /** The first event whose stored hash is not the one its content and its predecessor's hash give. */
  firstBrokenPosition?: Position;
  /** The hash of the last event read: publish it elsewhere (an archive, a register) to anchor the chain. */
  headHash: string | null;
}

/**
 * Recomputes each event's hash from its content and its predecessor's STORED hash, and compares it with
 * its own stored hash: a changed event breaks at itself, a removed one at its successor, an inserted one
 * at itself. Reads everything (so `checked` is the length of the log) and reports the first break.
 */
export async function verifyChain(links: AsyncIterable<ChainLink>, onEvent?: (event: RecordedEvent) => void): Promise<ChainVerification> {
  let previous: string | null = null;
  let checked = 0;
  let firstBrokenPosition: Position | undefined;
  for await (const { event, hash } of links) {
    checked++;
    onEvent?.(event);
    if (!firstBrokenPosition && (hash === null || eventHash(event, previous) !== hash)) firstBrokenPosition = event.position;
    previous = hash;
  }
  return { ok: firstBrokenPosition === undefined, checked, ...(firstBrokenPosition ? { firstBrokenPosition } : {}), headHash: previous };
}

export interface StoredChainVerification extends ChainVerification {
  sealedHead?: SealHead;
  /** `overdue`: an acknowledged event has waited longer than the bound, which fails the verification. */
  unsealedTail?: UnsealedTail & { boundMs: number; overdue: boolean };
  /** The Merkle tree the sealer stored: `ok` when its root is the one the sealed events give at its size. */
  tree?: TreeState & { ok: boolean };
  /**
   * The latest signed head: `ok` when its signature holds (checked by the caller, who has the key) and its
   * root is the one the sealed events give at its size. Absent when no head was signed yet.
   */
  signedHead?: SignedTreeHead & { signatureValid: boolean; rootMatches: boolean; ok: boolean };
}

/** The latest signed head, and whether its signature holds: given by whoever holds the public key. */
export interface CheckedHead {
  head: SignedTreeHead;
  signatureValid: boolean;
}

/**
 * verifyChain over a store's chain, and for a store that seals after the append, its sealed prefix
 * against its recorded head (its length and last hash: an event removed at the end shows there), its
 * unsealed tail against the bound, and its Merkle tree: the stored root and the latest signed head's
 * root recomputed from the sealed events themselves (an edit that recomputed every hash after it still
 * changes the signed head's root).
 */
export async function verifyStoredChain(store: ChainedEventStore, signed?: CheckedHead | null): Promise<StoredChainVerification> {
  if (!store.sealState) return verifyChain(store.readChain());
  const { head, tail, boundMs, tree } = await store.sealState();
  let frontier: Frontier = EMPTY_FRONTIER;
  const roots = new Map<number, string>([[0, EMPTY_TREE_HASH.toString('hex')]]);
  const wanted = new Set([tree.size, ...(signed ? [signed.head.treeSize] : [])]);
  const verification = await verifyChain(store.readChain({ until: head.position }), (event) => {
    frontier = appendLeaves(frontier, [leafHash(eventLeafData(event))]).frontier;
    if (wanted.has(frontier.size)) roots.set(frontier.size, frontierRoot(frontier).toString('hex'));
  });
  const headHolds = verification.checked === head.size && verification.headHash === head.hash;
  const overdue = tail.oldestAgeMs !== null && tail.oldestAgeMs > boundMs;
  const treeOk = roots.get(tree.size) === tree.root;
  const signedHead = signed
    ? (() => {
        const rootMatches = roots.get(signed.head.treeSize) === signed.head.rootHash;
        return { ...signed.head, signatureValid: signed.signatureValid, rootMatches, ok: signed.signatureValid && rootMatches };
      })()
    : undefined;
  const firstBrokenPosition = verification.firstBrokenPosition ?? (headHolds ? undefined : (head.position ?? undefined));
  return {
    ...verification,
    ok: verification.ok && headHolds && !overdue && treeOk && (signedHead?.ok ?? true),
    ...(firstBrokenPosition ? { firstBrokenPosition } : {}),
    sealedHead: head,
    unsealedTail: { ...tail, boundMs, overdue },
    tree: { ...tree, ok: treeOk },
    ...(signedHead ? { signedHead } : {}),
  };
}
