import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Command, CommandRunner, Option } from 'nest-commander';
import {
  ConsistencyProofDocument,
  InclusionProofDocument,
  verifyArchive,
  verifyConsistencyDocument,
  verifyInclusionDocument,
} from '@lib/event-store/integrity/offline-verifier';
import { SignedTreeHead, parseSignedTreeHead, publicKeyFromPem } from '@lib/event-store/integrity/tree-head';

/*
 * The offline verifier's commands (docs/audit.md): files in, a verdict out, no API, no database, no
 * token. Exit 0 when everything holds, 1 otherwise (with the reason on stderr).
 */

interface KeyOptions {
  head?: string;
  publicKey?: string;
}

function readJson(path: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`${what} ${path}: ${(error as Error).message}`, { cause: error });
  }
}

function required(value: string | undefined, flag: string): string {
  if (!value) throw new Error(`${flag} is required`);
  return value;
}

function headFrom(path: string | undefined, flag = '--head'): SignedTreeHead {
  return parseSignedTreeHead(readJson(required(path, flag), 'the head'));
}

function keyFrom(path: string | undefined) {
  return publicKeyFromPem(readFileSync(required(path, '--public-key'), 'utf8'));
}

/** `verify-archive history.jsonl --head head.json --public-key key.pem`. */
@Command({
  name: 'verify-archive',
  arguments: '<history.jsonl>',
  description: 'offline: check an export against a signed tree head (every leaf, the root, the signature, the chain)',
})
export class VerifyArchiveCommand extends CommandRunner {
  async run([file]: string[], options: KeyOptions): Promise<void> {
    const head = headFrom(options.head);
    const key = keyFrom(options.publicKey);
    const report = await verifyArchive(createInterface({ input: createReadStream(file), crlfDelay: Infinity }), head, key);
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    if (!report.ok) throw new Error(`The archive does not hold against the head: ${report.problems.join('; ')}`);
    process.stderr.write(`OK: the ${head.treeSize} first events of ${file} are the log the head signed at ${head.timestamp}\n`);
  }

  @Option({ flags: '--head <head.json>', description: 'a signed tree head (GET /api/audit/heads/latest, saved)' })
  parseHead(value: string): string {
    return value;
  }

  @Option({ flags: '--public-key <key.pem>', description: 'the log’s Ed25519 public key (GET /api/audit/public-key)' })
  parsePublicKey(value: string): string {
    return value;
  }
}

interface ProofOptions extends KeyOptions {
  proof?: string;
  fromHead?: string;
}

/**
 * `verify-proof --proof proof.json --head head.json --public-key key.pem`: one event's inclusion (the
 * answer of GET /api/audit/events/{position}/proof); with `--from-head old.json`, a consistency proof
 * (GET /api/audit/consistency) that `--head` extends `--from-head`.
 */
@Command({
  name: 'verify-proof',
  description: 'offline: check an inclusion proof against a signed head, or (--from-head) a consistency proof between two heads',
})
export class VerifyProofCommand extends CommandRunner {
  async run(_: string[], options: ProofOptions): Promise<void> {
    const head = headFrom(options.head);
    const key = keyFrom(options.publicKey);
    const proof = readJson(required(options.proof, '--proof'), 'the proof');
    if (options.fromHead) {
      const older = headFrom(options.fromHead, '--from-head');
      verifyConsistencyDocument(proof as ConsistencyProofDocument, older, head, key);
      process.stderr.write(
        `OK: the log of ${head.treeSize} events (${head.timestamp}) extends the log of ${older.treeSize} (${older.timestamp})\n`,
      );
      return;
    }
    const document = proof as InclusionProofDocument;
    verifyInclusionDocument(document, head, key);
    process.stderr.write(
      `OK: event ${document.event.id} (${document.event.type}) is leaf ${document.leafIndex} of the log the head signed at ${head.timestamp}\n`,
    );
  }

  @Option({ flags: '--head <head.json>', description: 'a signed tree head (GET /api/audit/heads/latest, saved)' })
  parseHead(value: string): string {
    return value;
  }

  @Option({ flags: '--public-key <key.pem>', description: 'the log’s Ed25519 public key (GET /api/audit/public-key)' })
  parsePublicKey(value: string): string {
    return value;
  }

  @Option({ flags: '--proof <proof.json>', description: 'the proof, as the API answered it' })
  parseProof(value: string): string {
    return value;
  }

  @Option({ flags: '--from-head <old.json>', description: 'the older head: the proof is a consistency proof' })
  parseFromHead(value: string): string {
    return value;
  }
}
