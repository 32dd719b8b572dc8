import { createHash, createPrivateKey, createPublicKey, sign } from 'node:crypto';

/*
 * docs/verifiable-log.md's recipes transcribed with nothing but node:crypto and the RFC's recursive
 * definitions (RFC 9162 §2.1.1, §2.1.3.1, §2.1.4.1), independently of libs/event-store: the oracle the
 * document's test vectors are computed with and checked against (test/audit-vectors.unit.spec.ts).
 */

const sha256 = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();

/** Canonical JSON: object keys sorted by UTF-16 code units, no whitespace; strings and numbers as JSON.stringify writes them. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

/** The eight fields a leaf covers, id in lower case. */
export function leafText(e: Record<string, unknown>): string {
  const { id, streamId, revision, type, schemaVersion, data, metadata, recordedAt } = e;
  return canonical({ id: String(id).toLowerCase(), streamId, revision, type, schemaVersion, data, metadata, recordedAt });
}

export function chainHash(e: Record<string, unknown>, previousHash: string | null): string {
  const { id, streamId, revision, type, schemaVersion, data, metadata, recordedAt } = e;
  const text = canonical({
    id: String(id).toLowerCase(),
    streamId,
    revision,
    type,
    schemaVersion,
    data,
    metadata,
    recordedAt,
    previousHash,
  });
  return sha256(Buffer.from(text, 'utf8')).toString('hex');
}

export const leaf = (bytes: Buffer) => sha256(Buffer.from([0x00]), bytes);
export const node = (left: Buffer, right: Buffer) => sha256(Buffer.from([0x01]), left, right);

/** k: the largest power of two smaller than n (n ≥ 2). */
const split = (n: number) => {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
};

/** MTH(D[n]) over leaf hashes. */
export function mth(leaves: Buffer[]): Buffer {
  if (leaves.length === 0) return sha256();
  if (leaves.length === 1) return leaves[0];
  const k = split(leaves.length);
  return node(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

/** PATH(m, D[n]). */
export function path(m: number, leaves: Buffer[]): Buffer[] {
  if (leaves.length <= 1) return [];
  const k = split(leaves.length);
  return m < k ? [...path(m, leaves.slice(0, k)), mth(leaves.slice(k))] : [...path(m - k, leaves.slice(k)), mth(leaves.slice(0, k))];
}

/** PROOF(m, D[n]) = SUBPROOF(m, D[n], true). */
export function proof(m: number, leaves: Buffer[]): Buffer[] {
  const sub = (m: number, d: Buffer[], complete: boolean): Buffer[] => {
    if (m === d.length) return complete ? [] : [mth(d)];
    const k = split(d.length);
    return m <= k ? [...sub(m, d.slice(0, k), complete), mth(d.slice(k))] : [...sub(m - k, d.slice(k), false), mth(d.slice(0, k))];
  };
  return m === 0 || m === leaves.length ? [] : sub(m, leaves, true);
}

export function headText(treeSize: number, rootHash: string, timestamp: string): string {
  return `conventions-cadre tree head v1\n${treeSize}\n${rootHash}\n${timestamp}\n`;
}

/** An Ed25519 key from its 32-byte seed (RFC 8032's "secret key"): PKCS#8 is a fixed 16-byte prefix and the seed. */
export function keyFromSeed(seedHex: string) {
  const privateKey = createPrivateKey({
    key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(seedHex, 'hex')]),
    format: 'der',
    type: 'pkcs8',
  });
  const publicKey = createPublicKey(privateKey);
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    // SPKI of an Ed25519 key: a fixed 12-byte prefix and the 32-byte public key.
    rawPublicKey: spki.subarray(12).toString('hex'),
    keyId: sha256(spki).toString('hex'),
    sign: (text: string) => sign(null, Buffer.from(text, 'utf8'), privateKey).toString('base64'),
  };
}
