import { Position } from '../event-store.port';
import { TreeState } from '../integrity/event-hash';
import {
  EMPTY_TREE_HASH,
  Hash,
  consistencyRanges,
  inclusionRanges,
  perfectSubtrees,
  proofHashes,
  proofNodes,
  rangeHash,
} from '../integrity/merkle';
import { SignedTreeHead } from '../integrity/tree-head';
import { SqlExecutor } from '../sql/sql-database';
import { readTreeNodes } from './chain-sealer';
import { EventRow, toRecordedEvent } from './queries';
import { RecordedEvent } from '../event-store.port';

/**
 * The log's Merkle tree as the sealer stores it (migration 4), read for proofs, and its signed heads.
 * Every proof is a few look-ups of stored perfect nodes (merkle.ts, proofNodes), whatever the log's size.
 */
export interface VerifiableLog {
  /** The tree the sealer has built so far. */
  tree(): Promise<TreeState>;
  /** An event of the tree, by position: its leaf index, or null when it is not (yet) in the tree. */
  leafOf(position: Position): Promise<{ leafIndex: number; event: RecordedEvent } | null>;
  /** The audit path of leaf `index` in the tree of `size` leaves (size ≤ the tree's). */
  inclusionProof(index: number, size: number): Promise<Hash[]>;
  /** The proof that the tree of `to` leaves extends the tree of `from`. */
  consistencyProof(from: number, to: number): Promise<Hash[]>;
  /** The root of the tree of `size` leaves, from the stored nodes. */
  rootAt(size: number): Promise<Hash>;
  recordHead(head: SignedTreeHead): Promise<void>;
  /** Signed heads, newest first, `before` an id (exclusive) for paging. */
  heads(options: { limit: number; before?: number }): Promise<{ id: number; head: SignedTreeHead }[]>;
  latestHead(): Promise<SignedTreeHead | null>;
  /** The smallest signed head whose tree holds at least `size` events (the first signed after them). */
  headCovering(size: number): Promise<SignedTreeHead | null>;
}

interface HeadRow {
  id: string | number;
  tree_size: string | number;
  root_hex: string;
  signed_at: Date | string;
  key_id: string;
  signature_b64: string;
}

const HEAD_COLUMNS = `id, tree_size, encode(root, 'hex') AS root_hex, signed_at, key_id, encode(signature, 'base64') AS signature_b64`;

function headOf(row: HeadRow): SignedTreeHead {
  return {
    treeSize: Number(row.tree_size),
    rootHash: row.root_hex,
    timestamp: new Date(row.signed_at).toISOString(),
    keyId: row.key_id,
    // encode(…, 'base64') wraps lines at 76 characters.
    signature: row.signature_b64.replace(/\s/g, ''),
  };
}

export class StoredVerifiableLog implements VerifiableLog {
  constructor(private readonly db: SqlExecutor) {}

  async tree(): Promise<TreeState> {
    const { rows } = await this.db.query<{ tree_size: string | number; root_hex: string | null }>(
      `SELECT tree_size, encode(tree_root, 'hex') AS root_hex FROM event_seal_head`,
    );
    const row = rows[0];
    return { size: Number(row?.tree_size ?? 0), root: row?.root_hex ?? EMPTY_TREE_HASH.toString('hex') };
  }

  async leafOf(position: Position): Promise<{ leafIndex: number; event: RecordedEvent } | null> {
    const { rows } = await this.db.query<EventRow & { leaf: string | number }>(
      `SELECT e.seq, e.xid::text AS xid_text, e.stream_id, e.revision, e.event_id, e.type, e.schema_version, e.data, e.metadata,
              e.recorded_at, c.leaf
       FROM events e JOIN event_chain c ON c.seq = e.seq
       CROSS JOIN event_seal_head h
       WHERE e.seq = $2 AND e.xid = $1::text::xid8 AND c.leaf < h.tree_size`,
      [String(position.commit), position.prepare],
    );
    if (rows.length === 0) return null;
    return { leafIndex: Number(rows[0].leaf), event: toRecordedEvent(rows[0]) };
  }

  private async nodes(ids: ReturnType<typeof proofNodes>) {
    return readTreeNodes(this.db, ids);
  }

  async inclusionProof(index: number, size: number): Promise<Hash[]> {
    const ranges = inclusionRanges(index, size);
    return proofHashes(ranges, await this.nodes(proofNodes(ranges)));
  }

  async consistencyProof(from: number, to: number): Promise<Hash[]> {
    const ranges = consistencyRanges(from, to);
    return proofHashes(ranges, await this.nodes(proofNodes(ranges)));
  }

  async rootAt(size: number): Promise<Hash> {
    if (size === 0) return EMPTY_TREE_HASH;
    const range = { start: 0, end: size };
    return rangeHash(range, await this.nodes(perfectSubtrees(range)));
  }

  async recordHead(head: SignedTreeHead): Promise<void> {
    await this.db.query(
      `INSERT INTO event_tree_heads (tree_size, root, signed_at, key_id, signature)
       VALUES ($1, decode($2, 'hex'), $3::timestamptz, $4, decode($5, 'base64'))`,
      [head.treeSize, head.rootHash, head.timestamp, head.keyId, head.signature],
    );
  }

  async heads({ limit, before }: { limit: number; before?: number }): Promise<{ id: number; head: SignedTreeHead }[]> {
    const { rows } = await this.db.query<HeadRow>(
      `SELECT ${HEAD_COLUMNS} FROM event_tree_heads WHERE ($1::bigint IS NULL OR id < $1) ORDER BY id DESC LIMIT $2`,
      [before ?? null, limit],
    );
    return rows.map((row) => ({ id: Number(row.id), head: headOf(row) }));
  }

  async latestHead(): Promise<SignedTreeHead | null> {
    const { rows } = await this.db.query<HeadRow>(`SELECT ${HEAD_COLUMNS} FROM event_tree_heads ORDER BY id DESC LIMIT 1`);
    return rows.length === 0 ? null : headOf(rows[0]);
  }

  async headCovering(size: number): Promise<SignedTreeHead | null> {
    const { rows } = await this.db.query<HeadRow>(
      `SELECT ${HEAD_COLUMNS} FROM event_tree_heads WHERE tree_size >= $1 ORDER BY tree_size, id LIMIT 1`,
      [size],
    );
    return rows.length === 0 ? null : headOf(rows[0]);
  }
}
