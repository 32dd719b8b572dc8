import { KeyObject } from 'node:crypto';
import { HashedContent, eventHash, eventLeafData } from './event-hash';
import { EMPTY_FRONTIER, Frontier, ProofError, appendLeaves, frontierRoot, leafHash, verifyConsistency, verifyInclusion } from './merkle';
import { SignedTreeHead, TreeHeadError, verifyTreeHead } from './tree-head';

/*
 * The offline verifier: what an auditor, a court expert or the préfecture runs on files alone (an export,
 * a signed head, the public key, a proof), with nothing of ours but this code: no NestJS, no database,
 * no network. docs/audit.md says what each check proves and gives the bytes.
 */

/** What verifyArchive found. `ok` only when every check passed. */
export interface ArchiveReport {
  ok: boolean;
  /** Lines read. */
  events: number;
  /** The head's signature holds for the public key given. */
  signatureValid: boolean;
  /** The root of the archive's first `head.treeSize` events, when it has that many. */
  rootAtHead: string | null;
  /** The root of the whole archive, and its size: a head to ask the log for a consistency proof from. */
  archiveTree: { size: number; rootHash: string };
  /** The first line (1-based) whose chain hash is wrong, if any (the linear chain of docs/audit.md). */
  firstBrokenChainLine?: number;
  problems: string[];
}

const HEX_HASH = /^[0-9a-f]{64}$/;

/** One export line as the verifier needs it: the fields the hashes cover, and the chain's two hashes. */
export interface ArchiveLine extends HashedContent {
  previousHash: string | null;
  hash: string | null;
}

function parseLine(text: string, line: number): ArchiveLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ProofError(`line ${line} is not JSON`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ProofError(`line ${line} is not a JSON object`);
  const v = value as Record<string, unknown>;
  for (const field of ['id', 'streamId', 'type', 'recordedAt'])
    if (typeof v[field] !== 'string') throw new ProofError(`line ${line}: ${field} must be a string`);
  for (const field of ['revision', 'schemaVersion'])
    if (!Number.isSafeInteger(v[field])) throw new ProofError(`line ${line}: ${field} must be a whole number`);
  if (v.metadata !== undefined && (v.metadata === null || typeof v.metadata !== 'object'))
    throw new ProofError(`line ${line}: metadata must be an object`);
  return v as unknown as ArchiveLine;
}

/** The leaf hash (hex) of an event: SHA-256(0x00 ‖ canonical JSON of its content). */
export function eventLeafHash(event: HashedContent): string {
  return leafHash(eventLeafData(event)).toString('hex');
}

/**
 * Checks an archive (the export's JSON Lines, one text per line, empty lines skipped) against a signed
 * head: the signature, each event's leaf, the root of the first `head.treeSize` events, and on the way
 * the linear chain of each line. A changed, removed, inserted or reordered event among the first
 * treeSize changes that root, whatever hashes were recomputed after it; an archive shorter than the head
 * is missing events.
 */
export async function verifyArchive(
  lines: AsyncIterable<string> | Iterable<string>,
  head: SignedTreeHead,
  publicKey: KeyObject,
): Promise<ArchiveReport> {
  const problems: string[] = [];
  let signatureValid = true;
  try {
    verifyTreeHead(head, publicKey);
  } catch (error) {
    signatureValid = false;
    problems.push(`the head: ${(error as Error).message}`);
  }
  let frontier: Frontier = EMPTY_FRONTIER;
  let rootAtHead: string | null = head.treeSize === 0 ? frontierRoot(frontier).toString('hex') : null;
  let previousHash: string | null = null;
  let firstBrokenChainLine: number | undefined;
  let lineNumber = 0;
  let events = 0;
  for await (const text of lines) {
    lineNumber++;
    if (text.trim() === '') continue;
    let event: ArchiveLine;
    try {
      event = parseLine(text, lineNumber);
    } catch (error) {
      problems.push((error as Error).message);
      return {
        ok: false,
        events,
        signatureValid,
        rootAtHead,
        archiveTree: { size: frontier.size, rootHash: frontierRoot(frontier).toString('hex') },
        problems,
      };
    }
    events++;
    // The linear chain: each line's hash from its content and the previous line's hash.
    if (firstBrokenChainLine === undefined && (event.previousHash !== previousHash || event.hash !== eventHash(event, previousHash)))
      firstBrokenChainLine = lineNumber;
    previousHash = typeof event.hash === 'string' && HEX_HASH.test(event.hash) ? event.hash : null;
    frontier = appendLeaves(frontier, [leafHash(eventLeafData(event))]).frontier;
    if (frontier.size === head.treeSize) rootAtHead = frontierRoot(frontier).toString('hex');
  }
  if (events < head.treeSize)
    problems.push(`the archive holds ${events} events, the signed head covers ${head.treeSize}: events are missing`);
  else if (rootAtHead !== head.rootHash)
    problems.push(
      `the root of the archive's first ${head.treeSize} events is ${rootAtHead}, the signed head says ${head.rootHash}: an event among them was changed, removed, inserted or moved`,
    );
  if (firstBrokenChainLine !== undefined) problems.push(`the hash chain breaks at line ${firstBrokenChainLine}`);
  return {
    ok: problems.length === 0,
    events,
    signatureValid,
    rootAtHead,
    archiveTree: { size: frontier.size, rootHash: frontierRoot(frontier).toString('hex') },
    ...(firstBrokenChainLine !== undefined ? { firstBrokenChainLine } : {}),
    problems,
  };
}

/** `GET /api/audit/events/{position}/proof`'s answer, as saved to a file. */
export interface InclusionProofDocument {
  leafIndex: number;
  treeSize: number;
  /** The event as the export writes it (its hashed fields suffice). */
  event: HashedContent;
  auditPath: string[];
}

/** `GET /api/audit/consistency`'s answer, as saved to a file. */
export interface ConsistencyProofDocument {
  from: number;
  to: number;
  proof: string[];
}

function hashesOf(name: string, value: unknown): Buffer[] {
  if (!Array.isArray(value)) throw new ProofError(`${name} must be an array of hex hashes`);
  return value.map((item, i) => {
    if (typeof item !== 'string' || !HEX_HASH.test(item)) throw new ProofError(`${name}[${i}] is not 64 lower-case hex digits`);
    return Buffer.from(item, 'hex');
  });
}

function checkIndex(name: string, value: unknown): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) throw new ProofError(`${name} must be a whole number ≥ 0`);
  return value as number;
}

/** Throws (ProofError, TreeHeadError) unless the event is in the log the signed head describes, at leafIndex. */
export function verifyInclusionDocument(document: InclusionProofDocument, head: SignedTreeHead, publicKey: KeyObject): void {
  verifyTreeHead(head, publicKey);
  const leafIndex = checkIndex('leafIndex', document.leafIndex);
  const treeSize = checkIndex('treeSize', document.treeSize);
  if (treeSize !== head.treeSize) throw new ProofError(`the proof is for a tree of ${treeSize} events, the head is of ${head.treeSize}`);
  if (document.event === null || typeof document.event !== 'object') throw new ProofError('the proof carries no event');
  const leaf = leafHash(eventLeafData(document.event));
  verifyInclusion(leaf, leafIndex, treeSize, hashesOf('auditPath', document.auditPath), Buffer.from(head.rootHash, 'hex'));
}

/** Throws unless `newer`'s log extends `older`'s: every event of the first, unchanged and in place, then more. */
export function verifyConsistencyDocument(
  document: ConsistencyProofDocument,
  older: SignedTreeHead,
  newer: SignedTreeHead,
  publicKey: KeyObject,
): void {
  verifyTreeHead(older, publicKey);
  verifyTreeHead(newer, publicKey);
  if (document.from !== older.treeSize || document.to !== newer.treeSize)
    throw new ProofError(
      `the proof goes from ${document.from} to ${document.to}, the heads are of ${older.treeSize} and ${newer.treeSize}`,
    );
  verifyConsistency(
    older.treeSize,
    newer.treeSize,
    Buffer.from(older.rootHash, 'hex'),
    Buffer.from(newer.rootHash, 'hex'),
    hashesOf('proof', document.proof),
  );
}

export { ProofError, TreeHeadError };
