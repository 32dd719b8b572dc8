import { KeyObject, createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';

/*
 * Signed tree heads: the log's operator states, under an Ed25519 key, that the log of `treeSize` events
 * had the Merkle root `rootHash` at `timestamp` (RFC 9162 §4.10 in spirit; the bytes signed are a short
 * text, so that an expert can rebuild them by hand: docs/audit.md). No NestJS, no database, no clock:
 * the offline verifier shares this file with the API.
 */

/** What a head states. */
export interface TreeHead {
  treeSize: number;
  /** Lower-case hex SHA-256: the tree's root (MTH). */
  rootHash: string;
  /** When it was signed: an ISO 8601 UTC instant with milliseconds (`2026-12-02T06:00:00.120Z`). */
  timestamp: string;
}

/** A head with its signature, as the API answers it and as an auditor keeps it (head.json). */
export interface SignedTreeHead extends TreeHead {
  /** Lower-case hex SHA-256 of the public key's DER (SubjectPublicKeyInfo): which key signed. */
  keyId: string;
  /** Base64 Ed25519 signature of treeHeadBytes(head). */
  signature: string;
}

export const TREE_HEAD_VERSION = 'conventions-cadre tree head v1';

const HEX_HASH = /^[0-9a-f]{64}$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * The bytes signed: UTF-8 of four lines, each ended by a line feed (0x0A):
 * `conventions-cadre tree head v1`, the tree size in decimal, the root in lower-case hex, the timestamp.
 */
export function treeHeadBytes(head: TreeHead): Buffer {
  checkTreeHead(head);
  return Buffer.from(`${TREE_HEAD_VERSION}\n${head.treeSize}\n${head.rootHash}\n${head.timestamp}\n`, 'utf8');
}

/** Why a head or key was refused. */
export class TreeHeadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TreeHeadError';
  }
}

function checkTreeHead(head: TreeHead): void {
  if (!Number.isSafeInteger(head.treeSize) || head.treeSize < 0) throw new TreeHeadError(`treeSize must be a whole number ≥ 0`);
  if (typeof head.rootHash !== 'string' || !HEX_HASH.test(head.rootHash))
    throw new TreeHeadError('rootHash must be 64 lower-case hex digits');
  if (typeof head.timestamp !== 'string' || !INSTANT.test(head.timestamp) || Number.isNaN(Date.parse(head.timestamp)))
    throw new TreeHeadError('timestamp must be an ISO 8601 UTC instant with milliseconds');
}

/** Lower-case hex SHA-256 of the key's SubjectPublicKeyInfo DER (as RFC 9162's log ID). */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

function checkEd25519(key: KeyObject, what: string): void {
  if (key.asymmetricKeyType !== 'ed25519')
    throw new TreeHeadError(`${what} is ${key.asymmetricKeyType ?? 'not an asymmetric key'}, not Ed25519`);
}

/** An Ed25519 private key from a PKCS#8 PEM text; anything else is refused. */
export function privateKeyFromPem(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch (error) {
    throw new TreeHeadError(`not a PEM private key: ${error instanceof Error ? error.message : String(error)}`);
  }
  checkEd25519(key, 'the signing key');
  return key;
}

/** An Ed25519 public key from an SPKI PEM text (`-----BEGIN PUBLIC KEY-----`). */
export function publicKeyFromPem(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch (error) {
    throw new TreeHeadError(`not a PEM public key: ${error instanceof Error ? error.message : String(error)}`);
  }
  checkEd25519(key, 'the public key');
  return key;
}

export function publicKeyPem(key: KeyObject): string {
  return (key.type === 'private' ? createPublicKey(key) : key).export({ type: 'spki', format: 'pem' }).toString();
}

/** A new key, as PKCS#8 PEM: outside production, the API makes one in its data directory. */
export function generateSigningKeyPem(): string {
  return generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

export function signTreeHead(head: TreeHead, privateKey: KeyObject): SignedTreeHead {
  checkEd25519(privateKey, 'the signing key');
  const signature = sign(null, treeHeadBytes(head), privateKey).toString('base64');
  return {
    treeSize: head.treeSize,
    rootHash: head.rootHash,
    timestamp: head.timestamp,
    keyId: keyIdOf(createPublicKey(privateKey)),
    signature,
  };
}

/**
 * Throws TreeHeadError unless `head` is well formed, names `publicKey` and carries its valid signature.
 * The caller then trusts treeSize, rootHash and timestamp as the key holder's statement.
 */
export function verifyTreeHead(head: SignedTreeHead, publicKey: KeyObject): void {
  checkEd25519(publicKey, 'the public key');
  const bytes = treeHeadBytes(head);
  if (head.keyId !== keyIdOf(publicKey))
    throw new TreeHeadError(`the head names key ${String(head.keyId)}, not this public key (${keyIdOf(publicKey)})`);
  if (typeof head.signature !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(head.signature))
    throw new TreeHeadError('the signature is not base64');
  if (!verify(null, bytes, publicKey, Buffer.from(head.signature, 'base64')))
    throw new TreeHeadError('the signature does not match the head');
}

/** A signed head read from JSON (head.json, an API answer): its fields checked, anything else ignored. */
export function parseSignedTreeHead(value: unknown): SignedTreeHead {
  if (value === null || typeof value !== 'object') throw new TreeHeadError('a signed tree head is a JSON object');
  const { treeSize, rootHash, timestamp, keyId, signature } = value as Record<string, unknown>;
  const head = { treeSize, rootHash, timestamp, keyId, signature } as SignedTreeHead;
  checkTreeHead(head);
  if (typeof keyId !== 'string' || !HEX_HASH.test(keyId)) throw new TreeHeadError('keyId must be 64 lower-case hex digits');
  if (typeof signature !== 'string') throw new TreeHeadError('signature must be a base64 text');
  return head;
}
