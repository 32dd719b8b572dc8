import { createHash } from 'node:crypto';

/*
 * The log as a Merkle tree, exactly as Certificate Transparency defines it (RFC 9162 §2.1): its hashes,
 * its inclusion and consistency proofs, and their verification. Nothing here reads a database or a
 * clock: the offline verifier and the sealer share this file, and an expert can check it against the
 * RFC section by section (docs/audit.md gives the byte recipes and a worked example).
 *
 * A node (level, index) is the perfect subtree over leaves [index·2^level, (index+1)·2^level): level 0
 * is the leaves. The tree of size n is made of the perfect subtrees of n's binary decomposition, largest
 * first; a store keeps every perfect node once it is complete, so that any proof at any past size is a
 * few look-ups (proofNodes) rather than a recomputation.
 */

export type Hash = Buffer;

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

/** MTH({}) = SHA-256() (§2.1.1). */
export const EMPTY_TREE_HASH: Hash = createHash('sha256').digest();

/** MTH({d}) = SHA-256(0x00 ‖ d) (§2.1.1). */
export function leafHash(data: Uint8Array): Hash {
  return createHash('sha256').update(LEAF_PREFIX).update(data).digest();
}

/** SHA-256(0x01 ‖ left ‖ right) (§2.1.1). */
export function nodeHash(left: Hash, right: Hash): Hash {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

/** A perfect subtree: level 0 is a leaf. */
export interface NodeId {
  level: number;
  index: number;
}

/** Leaves [start, end). */
export interface LeafRange {
  start: number;
  end: number;
}

/** The largest power of two smaller than n (n ≥ 2): where §2.1.1 splits a tree of n leaves. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function isPowerOfTwo(n: number): boolean {
  // Not n & (n - 1): bitwise operators work on 32 bits, and a log outgrows them.
  return n > 0 && 2 ** Math.round(Math.log2(n)) === n;
}

function checkSize(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a whole number ≥ 0, got ${value}`);
}

/**
 * The perfect subtrees that make up leaves [start, end), left to right. For a range the definition of
 * §2.1.1 meets (a whole tree, or a part its recursion reaches), they are also largest first, and its hash
 * is them folded right to left: rangeHash.
 */
export function perfectSubtrees({ start, end }: LeafRange): NodeId[] {
  const nodes: NodeId[] = [];
  let at = start;
  while (at < end) {
    let level = 0;
    // The largest aligned block starting at `at` that stays within the range.
    while (at % 2 ** (level + 1) === 0 && at + 2 ** (level + 1) <= end) level++;
    nodes.push({ level, index: at / 2 ** level });
    at += 2 ** level;
  }
  return nodes;
}

/** MTH of leaves [start, end) from its perfect subtrees' hashes (`node` gives them). */
export function rangeHash(range: LeafRange, node: (id: NodeId) => Hash): Hash {
  if (range.end <= range.start) return EMPTY_TREE_HASH;
  const parts = perfectSubtrees(range);
  let hash = node(parts[parts.length - 1]);
  for (let i = parts.length - 2; i >= 0; i--) hash = nodeHash(node(parts[i]), hash);
  return hash;
}

/**
 * The ranges whose hashes make the inclusion proof of leaf `index` in the tree of `size` leaves:
 * PATH(m, D[n]) of §2.1.3.1, in its order (the leaf's sibling first, up to the root's other child).
 */
export function inclusionRanges(index: number, size: number): LeafRange[] {
  checkSize('size', size);
  checkSize('index', index);
  if (index >= size) throw new RangeError(`leaf ${index} is not in a tree of ${size} leaves`);
  const path: LeafRange[] = [];
  let start = 0;
  let end = size;
  // Down from the root to the leaf, each step's other half noted; the path lists them bottom up.
  while (end - start > 1) {
    const k = splitPoint(end - start);
    if (index < start + k) {
      path.push({ start: start + k, end });
      end = start + k;
    } else {
      path.push({ start, end: start + k });
      start += k;
    }
  }
  return path.reverse();
}

/**
 * The ranges whose hashes make the consistency proof between the trees of `from` and `to` leaves:
 * PROOF(m, D[n]) of §2.1.4.1, in its order. Empty when from is 0 or equals to.
 */
export function consistencyRanges(from: number, to: number): LeafRange[] {
  checkSize('from', from);
  checkSize('to', to);
  if (from > to) throw new RangeError(`a tree of ${from} leaves cannot be a prefix of one of ${to}`);
  if (from === 0 || from === to) return [];
  const proof: LeafRange[] = [];
  // SUBPROOF(m, D[start:end], complete), unrolled: each step notes the half it does not descend into.
  let start = 0;
  let end = to;
  let m = from;
  let complete = true;
  for (;;) {
    if (m === end - start) {
      if (!complete) proof.push({ start, end });
      break;
    }
    const k = splitPoint(end - start);
    if (m <= k) {
      proof.push({ start: start + k, end });
      end = start + k;
    } else {
      proof.push({ start, end: start + k });
      start += k;
      m -= k;
      complete = false;
    }
  }
  return proof.reverse();
}

/** Every perfect node the hashes of `ranges` need: what a store fetches, in one query, to answer a proof. */
export function proofNodes(ranges: readonly LeafRange[]): NodeId[] {
  return ranges.flatMap((range) => perfectSubtrees(range));
}

/** The hashes of `ranges` (a proof), from the perfect nodes `node` gives. */
export function proofHashes(ranges: readonly LeafRange[], node: (id: NodeId) => Hash): Hash[] {
  return ranges.map((range) => rangeHash(range, node));
}

/** Why a proof was refused; a proof that verifies throws nothing. */
export class ProofError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProofError';
  }
}

function checkHash(name: string, hash: Uint8Array): void {
  if (hash.length !== 32) throw new ProofError(`${name} is ${hash.length} bytes, a SHA-256 hash is 32`);
}

/**
 * The root an inclusion proof leads to (§2.1.3.2, steps 1 to 3). Throws ProofError when the proof's
 * length does not fit the leaf's place in a tree of that size.
 */
export function rootFromInclusionProof(leaf: Hash, index: number, size: number, proof: readonly Hash[]): Hash {
  checkSize('size', size);
  checkSize('index', index);
  if (index >= size) throw new ProofError(`leaf ${index} is not in a tree of ${size} leaves`);
  checkHash('the leaf hash', leaf);
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const [i, p] of proof.entries()) {
    checkHash(`proof element ${i}`, p);
    if (sn === 0) throw new ProofError(`the proof has ${proof.length} elements, more than leaf ${index} of ${size} needs`);
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) throw new ProofError(`the proof has ${proof.length} elements, fewer than leaf ${index} of ${size} needs`);
  return r;
}

/** §2.1.3.2: throws ProofError unless `proof` proves leaf `index` with hash `leaf` in the tree of `size` leaves and root `root`. */
export function verifyInclusion(leaf: Hash, index: number, size: number, proof: readonly Hash[], root: Hash): void {
  checkHash('the root', root);
  if (!rootFromInclusionProof(leaf, index, size, proof).equals(root))
    throw new ProofError(`the proof of leaf ${index} does not lead to the root of the tree of ${size} leaves`);
}

/**
 * §2.1.4.2: throws ProofError unless `proof` proves that the tree of `to` leaves and root `toRoot`
 * extends the tree of `from` leaves and root `fromRoot` (every leaf of the first, in the same place).
 */
export function verifyConsistency(from: number, to: number, fromRoot: Hash, toRoot: Hash, proof: readonly Hash[]): void {
  checkSize('from', from);
  checkSize('to', to);
  checkHash('the first root', fromRoot);
  checkHash('the second root', toRoot);
  proof.forEach((p, i) => checkHash(`proof element ${i}`, p));
  if (from > to) throw new ProofError(`a tree of ${to} leaves cannot extend one of ${from}`);
  if (from === to) {
    if (proof.length > 0) throw new ProofError('two trees of the same size need an empty proof');
    if (!fromRoot.equals(toRoot)) throw new ProofError(`two trees of ${from} leaves with different roots`);
    return;
  }
  if (from === 0) {
    // Every tree extends the empty one (§2.1.4: the proof is empty).
    if (proof.length > 0) throw new ProofError('a proof from the empty tree is empty');
    return;
  }
  if (proof.length === 0) throw new ProofError(`an empty proof cannot show that ${to} leaves extend ${from}`);
  const path = isPowerOfTwo(from) ? [fromRoot, ...proof] : [...proof];
  let fn = from - 1;
  let sn = to - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) throw new ProofError(`the proof has more elements than ${from} → ${to} needs`);
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) throw new ProofError(`the proof has fewer elements than ${from} → ${to} needs`);
  if (!fr.equals(fromRoot)) throw new ProofError(`the proof does not lead to the root of the tree of ${from} leaves`);
  if (!sr.equals(toRoot)) throw new ProofError(`the proof does not lead to the root of the tree of ${to} leaves`);
}

/** A perfect node with its hash. */
export interface StoredNode extends NodeId {
  hash: Hash;
}

/**
 * The right edge of a tree of `size` leaves: its perfect subtrees, largest first (at most one per
 * level). Enough to append leaves and to give the root; what the sealer keeps between batches.
 */
export interface Frontier {
  size: number;
  nodes: StoredNode[];
}

export const EMPTY_FRONTIER: Frontier = { size: 0, nodes: [] };

/**
 * Appends leaves to the tree whose right edge is `frontier`: every perfect node completed on the way
 * (the leaves themselves at level 0, then each parent as its right child completes), and the new edge.
 */
export function appendLeaves(frontier: Frontier, leaves: readonly Hash[]): { created: StoredNode[]; frontier: Frontier } {
  const edge = [...frontier.nodes];
  const created: StoredNode[] = [];
  let size = frontier.size;
  for (const leaf of leaves) {
    checkHash(`leaf ${size}`, leaf);
    let node: StoredNode = { level: 0, index: size, hash: leaf };
    created.push(node);
    // Two perfect subtrees of the same level side by side make their parent.
    while (edge.length > 0 && edge[edge.length - 1].level === node.level) {
      const left = edge.pop()!;
      node = { level: node.level + 1, index: left.index / 2, hash: nodeHash(left.hash, node.hash) };
      created.push(node);
    }
    edge.push(node);
    size++;
  }
  return { created, frontier: { size, nodes: edge } };
}

/** The root of the tree whose right edge is `frontier` (§2.1.1: its perfect subtrees folded right to left). */
export function frontierRoot(frontier: Frontier): Hash {
  const { nodes } = frontier;
  if (nodes.length === 0) return EMPTY_TREE_HASH;
  let hash = nodes[nodes.length - 1].hash;
  for (let i = nodes.length - 2; i >= 0; i--) hash = nodeHash(nodes[i].hash, hash);
  return hash;
}

/** The right edge of the tree of `size` leaves, from its perfect nodes (`node` gives them): to resume appending. */
export function frontierOf(size: number, node: (id: NodeId) => Hash): Frontier {
  checkSize('size', size);
  return { size, nodes: perfectSubtrees({ start: 0, end: size }).map((id) => ({ ...id, hash: node(id) })) };
}
