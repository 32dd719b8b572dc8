import { createHash } from 'node:crypto';
import fc from 'fast-check';
import {
  EMPTY_FRONTIER,
  Hash,
  NodeId,
  ProofError,
  appendLeaves,
  consistencyRanges,
  frontierOf,
  frontierRoot,
  inclusionRanges,
  leafHash,
  proofHashes,
  proofNodes,
  rootFromInclusionProof,
  verifyConsistency,
  verifyInclusion,
} from './merkle';

/*
 * The Merkle tree of the log (issue 14; RFC 9162 §2.1). Two independent checks: the test vectors of
 * Certificate Transparency's reference implementation (RFC 6962 test data, as published with
 * github.com/transparency-dev/merkle, proof/verify_test.go), and a naive transcription of the RFC's
 * recursive definitions (MTH, PATH, PROOF) over random trees, which the stored-node implementation must
 * match at every size.
 */

const hex = (h: Hash) => h.toString('hex');
const bytes = (s: string) => Buffer.from(s, 'hex');

// The RFC's definitions, word for word, over the leaves' data: the oracle.
const sha256 = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();
const k = (n: number) => 2 ** Math.ceil(Math.log2(n) - 1);
function mth(d: Buffer[]): Buffer {
  if (d.length === 0) return sha256();
  if (d.length === 1) return sha256(Buffer.from([0]), d[0]);
  return sha256(Buffer.from([1]), mth(d.slice(0, k(d.length))), mth(d.slice(k(d.length))));
}
function path(m: number, d: Buffer[]): Buffer[] {
  if (d.length === 1) return [];
  const split = k(d.length);
  return m < split ? [...path(m, d.slice(0, split)), mth(d.slice(split))] : [...path(m - split, d.slice(split)), mth(d.slice(0, split))];
}
function subproof(m: number, d: Buffer[], b: boolean): Buffer[] {
  if (m === d.length) return b ? [] : [mth(d)];
  const split = k(d.length);
  return m <= split
    ? [...subproof(m, d.slice(0, split), b), mth(d.slice(split))]
    : [...subproof(m - split, d.slice(split), false), mth(d.slice(0, split))];
}
const proof = (m: number, d: Buffer[]) => (m === 0 ? [] : subproof(m, d, true));

/** A tree built by appending `data` in batches of the given sizes: its stored nodes by (level, index). */
function buildTree(data: Buffer[], batches: number[] = [data.length]) {
  const nodes = new Map<string, Hash>();
  let frontier = EMPTY_FRONTIER;
  let at = 0;
  for (const size of [...batches, data.length]) {
    const leaves = data.slice(at, Math.min(data.length, at + size)).map(leafHash);
    at += leaves.length;
    const next = appendLeaves(frontier, leaves);
    for (const node of next.created) nodes.set(`${node.level}/${node.index}`, node.hash);
    frontier = next.frontier;
  }
  const node = ({ level, index }: NodeId) => {
    const hash = nodes.get(`${level}/${index}`);
    if (!hash) throw new Error(`node ${level}/${index} was never completed`);
    return hash;
  };
  return { frontier, node, nodes };
}

describe('RFC 9162 Merkle tree: the reference test vectors', () => {
  const leaves = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(bytes);
  const roots = [
    '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
    'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
    'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
    '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
    'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
    '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
  ];
  // [leaf index (0-based), tree size, path]
  const inclusion: [number, number, string[]][] = [
    [
      0,
      8,
      [
        '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
        '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
        '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
      ],
    ],
    [
      5,
      8,
      [
        'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
        'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
        'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
      ],
    ],
    [2, 3, ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125']],
    [
      1,
      5,
      [
        '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
        '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
        'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      ],
    ],
  ];
  const consistency: [number, number, string[]][] = [
    [
      1,
      8,
      [
        '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
        '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
        '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
      ],
    ],
    [
      6,
      8,
      [
        '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
        'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
        'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
      ],
    ],
    [
      2,
      5,
      [
        '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
        'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      ],
    ],
    [
      6,
      7,
      [
        '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
        'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
        'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
      ],
    ],
  ];

  it('gives the published root at every size from 1 to 8, appended one leaf at a time', () => {
    let frontier = EMPTY_FRONTIER;
    leaves.forEach((leaf, i) => {
      frontier = appendLeaves(frontier, [leafHash(leaf)]).frontier;
      expect(hex(frontierRoot(frontier))).toBe(roots[i]);
    });
    expect(hex(frontierRoot(EMPTY_FRONTIER))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it.each(inclusion)('produces and verifies the published inclusion proof of leaf %i in the tree of %i', (index, size, expected) => {
    const tree = buildTree(leaves.slice(0, size));
    expect(proofHashes(inclusionRanges(index, size), tree.node).map(hex)).toEqual(expected);
    expect(() => verifyInclusion(leafHash(leaves[index]), index, size, expected.map(bytes), bytes(roots[size - 1]))).not.toThrow();
  });

  it.each(consistency)('produces and verifies the published consistency proof from %i to %i', (from, to, expected) => {
    const tree = buildTree(leaves.slice(0, to));
    expect(proofHashes(consistencyRanges(from, to), tree.node).map(hex)).toEqual(expected);
    expect(() => verifyConsistency(from, to, bytes(roots[from - 1]), bytes(roots[to - 1]), expected.map(bytes))).not.toThrow();
  });

  it("refuses each published proof once it is altered (the reference tests' corruptions)", () => {
    const some = bytes('abacaba000000000000000000000000000000000000000000060061e00123456');
    for (const [index, size, expected] of inclusion) {
      const p = expected.map(bytes);
      const root = bytes(roots[size - 1]);
      const leaf = leafHash(leaves[index]);
      const wrong: [number, number, Hash, Hash[], Hash][] = [
        [index + 1, size, leaf, p, root],
        [index ^ 2, size, leaf, p, root],
        [index, size * 2, leaf, p, root],
        [index, Math.floor(size / 2), leaf, p, root],
        [index, size, leafHash(Buffer.from('WrongLeaf')), p, root],
        [index, size, leaf, p, some],
        [index, size, leaf, [...p, root], root],
        [index, size, leaf, [root, ...p], root],
        [index, size, leaf, p.slice(0, -1), root],
        ...p.map((_, i): [number, number, Hash, Hash[], Hash] => [index, size, leaf, p.map((h, j) => (j === i ? flip(h, 3) : h)), root]),
      ];
      if (index > 0) wrong.push([index - 1, size, leaf, p, root]);
      for (const [i, s, l, pr, r] of wrong) expect(() => verifyInclusion(l, i, s, pr, r)).toThrow(ProofError);
    }
    for (const [from, to, expected] of consistency) {
      const p = expected.map(bytes);
      const [r1, r2] = [bytes(roots[from - 1]), bytes(roots[to - 1])];
      const wrong: [number, number, Hash, Hash, Hash[]][] = [
        [from - 1, to, r1, r2, p],
        [from + 1, to, r1, r2, p],
        [from ^ 2, to, r1, r2, p],
        [from, to * 2, r1, r2, p],
        [from, Math.floor(to / 2), r1, r2, p],
        [from, to, some, r2, p],
        [from, to, r1, some, p],
        [from, to, r2, r1, p],
        [from, to, r1, r2, []],
        [from, to, r1, r2, [...p, r1]],
        [from, to, r1, r2, [...p, r2]],
        [from, to, r1, r2, [r1, ...p]],
        [from, to, r1, r2, [r2, ...p]],
        [from, to, r1, r2, [p[0], ...p]],
        [from, to, r1, r2, p.slice(0, -1)],
        ...p.map((_, i): [number, number, Hash, Hash, Hash[]] => [from, to, r1, r2, p.map((h, j) => (j === i ? flip(h, 4) : h))]),
      ];
      for (const [a, b, x, y, pr] of wrong) {
        if (a === from && b === to && x === r1 && y === r2 && pr === p) continue;
        expect(() => verifyConsistency(a, b, x, y, pr)).toThrow(ProofError);
      }
    }
  });
});

function flip(hash: Hash, bit: number): Hash {
  const copy = Buffer.from(hash);
  copy[0] ^= 1 << bit;
  return copy;
}

describe("RFC 9162 Merkle tree: stored nodes against the RFC's recursive definitions", () => {
  const treeData = fc.integer({ min: 1, max: 70 }).chain((size) =>
    fc.record({
      data: fc.array(
        fc.uint8Array({ maxLength: 6 }).map((a) => Buffer.from(a)),
        { minLength: size, maxLength: size },
      ),
      batches: fc.array(fc.integer({ min: 1, max: 9 }), { maxLength: 12 }),
    }),
  );

  // Sizes to look at in a tree: a few, drawn at random, rather than all of them (the oracle is slow).
  const sizes = fc.array(fc.nat(), { minLength: 1, maxLength: 4 });

  it('has, at every size, the root of MTH and a right edge that resumes the appends (frontierOf)', () => {
    fc.assert(
      fc.property(treeData, sizes, ({ data, batches }, picks) => {
        const tree = buildTree(data, batches);
        expect(hex(frontierRoot(tree.frontier))).toBe(hex(mth(data)));
        for (const size of picks.map((pick) => 1 + (pick % data.length))) {
          const edge = frontierOf(size, tree.node);
          expect(hex(frontierRoot(edge))).toBe(hex(mth(data.slice(0, size))));
          // Resuming from the stored edge gives the same nodes as appending in one go.
          const resumed = appendLeaves(edge, data.slice(size).map(leafHash));
          expect(hex(frontierRoot(resumed.frontier))).toBe(hex(mth(data)));
          for (const node of resumed.created) expect(hex(node.hash)).toBe(hex(tree.node(node)));
        }
      }),
    );
  });

  it('gives PATH(m, D[n]) for every leaf of a past size, and it verifies', () => {
    fc.assert(
      fc.property(treeData, fc.nat(), ({ data, batches }, pick) => {
        const tree = buildTree(data, batches);
        const size = 1 + (pick % data.length);
        const prefix = data.slice(0, size);
        const root = mth(prefix);
        for (let index = 0; index < size; index++) {
          const ranges = inclusionRanges(index, size);
          const got = proofHashes(ranges, tree.node);
          expect(got.map(hex)).toEqual(path(index, prefix).map(hex));
          expect(() => verifyInclusion(leafHash(prefix[index]), index, size, got, root)).not.toThrow();
          expect(hex(rootFromInclusionProof(leafHash(prefix[index]), index, size, got))).toBe(hex(root));
          // Stored nodes only: every node a proof needs was completed by the appends.
          for (const id of proofNodes(ranges)) expect(tree.nodes.has(`${id.level}/${id.index}`)).toBe(true);
        }
      }),
    );
  });

  it('gives PROOF(m, D[n]) between two past sizes, it verifies, and a log rewritten below the first breaks it', () => {
    fc.assert(
      fc.property(treeData, fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 1, maxLength: 6 }), ({ data, batches }, pairs) => {
        const tree = buildTree(data, batches);
        for (const [a, b] of pairs) {
          const to = 1 + (a % data.length);
          const from = b % (to + 1);
          const got = proofHashes(consistencyRanges(from, to), tree.node);
          expect(got.map(hex)).toEqual(proof(from === to ? 0 : from, data.slice(0, to)).map(hex));
          expect(() => verifyConsistency(from, to, mth(data.slice(0, from)), mth(data.slice(0, to)), got)).not.toThrow();
          if (from > 0 && from < to) {
            // Leaf `changed` of the first tree rewritten, and the second tree's proof made from the rewritten log.
            const changed = b % from;
            const rewritten = data.slice(0, to).map((d, i) => (i === changed ? Buffer.concat([d, Buffer.from([0xff])]) : d));
            const forged = proofHashes(consistencyRanges(from, to), buildTree(rewritten).node);
            expect(() => verifyConsistency(from, to, mth(data.slice(0, from)), mth(rewritten), forged)).toThrow(ProofError);
          }
        }
      }),
    );
  });

  it('refuses sizes and hashes that cannot be', () => {
    expect(() => inclusionRanges(3, 3)).toThrow(RangeError);
    expect(() => consistencyRanges(4, 3)).toThrow(RangeError);
    const leaf = leafHash(Buffer.from('a'));
    expect(() => verifyInclusion(leaf, 0, 0, [], leaf)).toThrow(ProofError);
    expect(() => verifyInclusion(leaf.subarray(0, 31), 0, 1, [], leaf)).toThrow(ProofError);
    expect(() => verifyInclusion(leaf, 0, 1, [], leaf)).not.toThrow();
    expect(() => verifyConsistency(3, 2, leaf, leaf, [])).toThrow(ProofError);
    expect(() => verifyConsistency(2, 2, leaf, leafHash(Buffer.from('b')), [])).toThrow(ProofError);
    // Sizes past 2^32 (bitwise operators would wrap there).
    const big = 2 ** 33 + 5;
    expect(inclusionRanges(0, big)).toHaveLength(34);
    expect(inclusionRanges(big - 1, big)).toEqual([
      { start: 2 ** 33, end: 2 ** 33 + 4 },
      { start: 0, end: 2 ** 33 },
    ]);
    expect(consistencyRanges(2 ** 32, big).length).toBeGreaterThan(0);
  });
});

// The helper gives only the nodes the appends completed: the proofs above cannot use one they did not.
describe('buildTree (test helper)', () => {
  it('has no node for an incomplete subtree', () => {
    const tree = buildTree([Buffer.from('a'), Buffer.from('b'), Buffer.from('c')]);
    expect(() => tree.node({ level: 1, index: 1 })).toThrow();
    expect([...tree.nodes.keys()].sort()).toEqual(['0/0', '0/1', '0/2', '1/0']);
  });
});
