import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPrivateKey, createPublicKey, verify } from 'node:crypto';
import { eventLeafData, eventHash } from '@lib/event-store/integrity/event-hash';
import {
  consistencyRanges,
  inclusionRanges,
  leafHash,
  nodeHash,
  rangeHash,
  verifyConsistency,
  verifyInclusion,
} from '@lib/event-store/integrity/merkle';
import {
  keyIdOf,
  parseSignedTreeHead,
  privateKeyFromPem,
  publicKeyFromPem,
  signTreeHead,
  treeHeadBytes,
} from '@lib/event-store/integrity/tree-head';
import {
  ConsistencyProofDocument,
  InclusionProofDocument,
  verifyArchive,
  verifyConsistencyDocument,
  verifyInclusionDocument,
} from '@lib/event-store/integrity/offline-verifier';
import { chainHash, headText, keyFromSeed, leaf, leafText, mth, node, path, proof } from './support/audit-oracle';

/*
 * docs/verifiable-log.md's worked example, read out of the document itself (its `audit-vector:` blocks),
 * so that the document cannot drift from the code: each vector is recomputed twice, with the plain
 * node:crypto oracle (test/support/audit-oracle.ts, the RFC's recursive definitions) and with the code
 * (libs/event-store/src/integrity), and both must give the document's bytes.
 */

const DOC = readFileSync(join(__dirname, '..', 'docs', 'verifiable-log.md'), 'utf8');

function block(name: string): string {
  const match = new RegExp('^```[a-z]+ audit-vector:' + name + '\\n([\\s\\S]*?)\\n```$', 'm').exec(DOC);
  if (!match) throw new Error(`docs/verifiable-log.md has no audit-vector:${name} block`);
  return match[1];
}
const json = <T = Record<string, unknown>>(name: string) => JSON.parse(block(name)) as T;
const lines = (name: string) => block(name).split('\n');
const hex = (b: Buffer) => b.toString('hex');

const archive = lines('archive');
const events = archive.map(
  (line) => JSON.parse(line) as Record<string, unknown> & { id: string; hash: string; previousHash: string | null },
);
const leafData = lines('leaf-data');
const leafHashes = lines('leaf-hashes');
const nodes = json<Record<string, string>>('nodes');
const leaves = leafHashes.map((h) => Buffer.from(h, 'hex'));

describe('docs/verifiable-log.md test vectors', () => {
  it('has the five events of the example, each block of matching length', () => {
    expect(events).toHaveLength(5);
    expect(leafData).toHaveLength(5);
    expect(leafHashes).toHaveLength(5);
  });

  it('leaf data: the canonical bytes the recipe gives, and the ones the code hashes', () => {
    events.forEach((event, i) => {
      expect(leafText(event)).toBe(leafData[i]);
      expect(eventLeafData(event as never).equals(Buffer.from(leafData[i], 'utf8'))).toBe(true);
    });
    // The recipe lowers the id: the example writes one in upper case.
    expect(events[2].id).not.toBe(events[2].id.toLowerCase());
  });

  it('leaf hashes: SHA-256(0x00 ‖ data), by the oracle and by the code', () => {
    leafData.forEach((text, i) => {
      expect(hex(leaf(Buffer.from(text, 'utf8')))).toBe(leafHashes[i]);
      expect(hex(leafHash(Buffer.from(text, 'utf8')))).toBe(leafHashes[i]);
    });
  });

  it('the chain hashes of the export lines', () => {
    let previous: string | null = null;
    for (const event of events) {
      expect(event.previousHash).toBe(previous);
      expect(chainHash(event, previous)).toBe(event.hash);
      expect(eventHash(event as never, previous)).toBe(event.hash);
      previous = event.hash;
    }
  });

  it('nodes and roots: MTH of 3 and 5 leaves, with the split of RFC 9162 §2.1.1', () => {
    expect(hex(node(leaves[0], leaves[1]))).toBe(nodes.N01);
    expect(hex(node(leaves[2], leaves[3]))).toBe(nodes.N23);
    expect(hex(node(Buffer.from(nodes.N01, 'hex'), Buffer.from(nodes.N23, 'hex')))).toBe(nodes.N0123);
    expect(hex(node(Buffer.from(nodes.N01, 'hex'), leaves[2]))).toBe(nodes.root3);
    expect(hex(node(Buffer.from(nodes.N0123, 'hex'), leaves[4]))).toBe(nodes.root5);
    expect(hex(mth(leaves.slice(0, 3)))).toBe(nodes.root3);
    expect(hex(mth(leaves))).toBe(nodes.root5);
    // The code, from perfect nodes as the store keeps them.
    const perfect = ({ level, index }: { level: number; index: number }) => mth(leaves.slice(index * 2 ** level, (index + 1) * 2 ** level));
    expect(hex(rangeHash({ start: 0, end: 3 }, perfect))).toBe(nodes.root3);
    expect(hex(rangeHash({ start: 0, end: 5 }, perfect))).toBe(nodes.root5);
    expect(hex(nodeHash(leaves[0], leaves[1]))).toBe(nodes.N01);
  });

  it('the inclusion proof of leaf 2 in the tree of 5: the oracle’s PATH, the code’s, and it verifies', () => {
    const doc = json<InclusionProofDocument & { leafHash: string; rootHash: string }>('inclusion');
    expect(doc.auditPath).toEqual(path(doc.leafIndex, leaves.slice(0, doc.treeSize)).map(hex));
    const perfect = ({ level, index }: { level: number; index: number }) => mth(leaves.slice(index * 2 ** level, (index + 1) * 2 ** level));
    expect(inclusionRanges(doc.leafIndex, doc.treeSize).map((r) => hex(rangeHash(r, perfect)))).toEqual(doc.auditPath);
    expect(doc.leafHash).toBe(leafHashes[doc.leafIndex]);
    expect(hex(leafHash(eventLeafData(doc.event)))).toBe(doc.leafHash);
    expect(doc.rootHash).toBe(nodes.root5);
    const audit = doc.auditPath.map((h) => Buffer.from(h, 'hex'));
    expect(() => verifyInclusion(Buffer.from(doc.leafHash, 'hex'), 2, 5, audit, Buffer.from(nodes.root5, 'hex'))).not.toThrow();
    // Another leaf, or a path element changed, does not verify.
    expect(() => verifyInclusion(leaves[3], 2, 5, audit, Buffer.from(nodes.root5, 'hex'))).toThrow();
    expect(() => verifyInclusion(leaves[2], 2, 5, [audit[1], audit[0], audit[2]], Buffer.from(nodes.root5, 'hex'))).toThrow();
  });

  it('the consistency proof 3 → 5: the oracle’s PROOF, the code’s, and it verifies', () => {
    const doc = json<ConsistencyProofDocument & { fromRoot: string; toRoot: string }>('consistency');
    expect(doc.proof).toEqual(proof(doc.from, leaves.slice(0, doc.to)).map(hex));
    const perfect = ({ level, index }: { level: number; index: number }) => mth(leaves.slice(index * 2 ** level, (index + 1) * 2 ** level));
    expect(consistencyRanges(doc.from, doc.to).map((r) => hex(rangeHash(r, perfect)))).toEqual(doc.proof);
    expect([doc.fromRoot, doc.toRoot]).toEqual([nodes.root3, nodes.root5]);
    const hashes = doc.proof.map((h) => Buffer.from(h, 'hex'));
    expect(() => verifyConsistency(3, 5, Buffer.from(doc.fromRoot, 'hex'), Buffer.from(doc.toRoot, 'hex'), hashes)).not.toThrow();
    expect(() => verifyConsistency(3, 5, leaves[0], Buffer.from(doc.toRoot, 'hex'), hashes)).toThrow();
  });

  it('the key: RFC 8032 TEST 1, its PEMs, its keyId as SHA-256 of the SPKI DER', () => {
    const oracle = keyFromSeed('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
    expect(oracle.rawPublicKey).toBe('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
    expect(oracle.privateKeyPem.trim()).toBe(block('private-key'));
    expect(oracle.publicKeyPem.trim()).toBe(block('public-key'));
    expect(oracle.keyId).toBe(block('key-id'));
    expect(keyIdOf(publicKeyFromPem(block('public-key')))).toBe(block('key-id'));
  });

  it('the signed heads: their bytes, their signatures (deterministic), verified with the published key', () => {
    const oracle = keyFromSeed('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
    const publicKey = createPublicKey(block('public-key'));
    const privateKey = privateKeyFromPem(block('private-key'));
    for (const [name, root] of [
      ['head-3', nodes.root3],
      ['head-5', nodes.root5],
    ] as const) {
      const head = parseSignedTreeHead(json(name));
      expect(head.rootHash).toBe(root);
      const text = headText(head.treeSize, head.rootHash, head.timestamp);
      expect(treeHeadBytes(head).equals(Buffer.from(text, 'utf8'))).toBe(true);
      expect(verify(null, Buffer.from(text, 'utf8'), publicKey, Buffer.from(head.signature, 'base64'))).toBe(true);
      expect(oracle.sign(text)).toBe(head.signature);
      expect(signTreeHead(head, privateKey)).toEqual(head);
      expect(head.keyId).toBe(block('key-id'));
    }
    expect(block('head-5-bytes')).toBe(Buffer.from(headText(5, nodes.root5, json('head-5').timestamp as string)).toString('hex'));
    // The test key is not the PEM of some other key that happens to verify.
    expect(
      createPublicKey(createPrivateKey(block('private-key')))
        .export({ type: 'spki', format: 'pem' })
        .toString()
        .trim(),
    ).toBe(block('public-key'));
  });

  it('the offline verifier accepts the example: the archive against both heads, the inclusion and consistency documents', async () => {
    const key = publicKeyFromPem(block('public-key'));
    const head3 = parseSignedTreeHead(json('head-3'));
    const head5 = parseSignedTreeHead(json('head-5'));
    for (const head of [head3, head5]) {
      const report = await verifyArchive(archive, head, key);
      expect(report).toMatchObject({ ok: true, events: 5, signatureValid: true, rootAtHead: head.rootHash, problems: [] });
      expect(report.archiveTree).toEqual({ size: 5, rootHash: nodes.root5 });
    }
    expect(() => verifyInclusionDocument(json<InclusionProofDocument>('inclusion'), head5, key)).not.toThrow();
    expect(() => verifyInclusionDocument(json<InclusionProofDocument>('inclusion'), head3, key)).toThrow();
    expect(() => verifyConsistencyDocument(json<ConsistencyProofDocument>('consistency'), head3, head5, key)).not.toThrow();
    // Two events swapped: the root at either head no longer matches.
    const swapped = [archive[0], archive[2], archive[1], ...archive.slice(3)];
    expect((await verifyArchive(swapped, head3, key)).ok).toBe(false);
  });
});
