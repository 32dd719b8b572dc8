import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { KeyObject, createPublicKey } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EVENT_STORE, EventStore } from '@lib/event-store/event-store.port';
import { isChainedEventStore } from '@lib/event-store/integrity/event-hash';
import {
  SignedTreeHead,
  TreeHeadError,
  generateSigningKeyPem,
  keyIdOf,
  privateKeyFromPem,
  publicKeyPem,
  signTreeHead,
  verifyTreeHead,
} from '@lib/event-store/integrity/tree-head';
import { VerifiableLog } from '@lib/event-store/postgres/verifiable-log';
import { APP_CONFIG, AppConfig, ConfigError } from '../config/app-config';
import { CLOCK, Clock } from '../clock';

/** The store keeps no Merkle tree (EventStoreDB, the in-memory store of the unit tests). */
export class NoVerifiableLogError extends Error {}

/** The tree the signer was about to sign does not extend the last signed head: the stored tree was changed. */
export class TreeTamperedError extends Error {}

export const DEVELOPMENT_KEY_FILE = 'audit-signing-key.pem';

/**
 * Signs the log's tree heads (docs/audit.md): at an interval when the tree has grown, and on demand. The
 * key comes from AUDIT_SIGNING_KEY; outside production, without it, one is made in the data directory and
 * the logs say so. A head is signed only over a tree that extends the last signed one (checked from the
 * stored nodes): a tree changed in the database is never given a fresh signature.
 */
@Injectable()
export class TreeHeadsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('TreeHeads');
  private readonly log?: VerifiableLog;
  private key?: KeyObject;
  private timer?: NodeJS.Timeout;
  private signing?: Promise<SignedTreeHead>;

  constructor(
    @Inject(EVENT_STORE) store: EventStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    if (isChainedEventStore(store) && store.verifiableLog) this.log = store.verifiableLog();
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.log) return;
    this.key = this.loadKey();
    this.logger.log(`Tree heads are signed with Ed25519 key ${keyIdOf(createPublicKey(this.key))}`);
    // After a key change the latest head is another key's: sign one with this key at once.
    const latest = await this.log.latestHead().catch(() => null);
    if (latest?.keyId !== this.keyId && (await this.log.tree()).size > 0) await this.sign().catch((error) => this.warn(error));
    if (this.config.audit.headIntervalMs > 0) {
      this.timer = setInterval(() => void this.signIfGrown().catch((error) => this.warn(error)), this.config.audit.headIntervalMs);
      this.timer.unref();
    }
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  private warn(error: unknown): void {
    this.logger.error(`No tree head signed: ${error instanceof Error ? error.message : String(error)}`);
  }

  private loadKey(): KeyObject {
    const given = this.config.audit.signingKey;
    if (given !== undefined) {
      const pem = given.trimStart().startsWith('-----BEGIN') ? given : readKeyFile(given);
      try {
        return privateKeyFromPem(pem);
      } catch (error) {
        throw new ConfigError(`AUDIT_SIGNING_KEY: ${(error as Error).message} (an Ed25519 private key, PKCS#8 PEM)`);
      }
    }
    if (this.config.production)
      throw new ConfigError('NODE_ENV=production needs AUDIT_SIGNING_KEY (an Ed25519 PKCS#8 PEM, or its file path)');
    const file = join(this.config.dataDir, DEVELOPMENT_KEY_FILE);
    if (!existsSync(file)) {
      mkdirSync(this.config.dataDir, { recursive: true });
      try {
        writeFileSync(file, generateSigningKeyPem(), { mode: 0o600, flag: 'wx' });
      } catch (error) {
        // Another process made it first: use that one.
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      this.logger.warn(`AUDIT_SIGNING_KEY is not set: generated a development signing key in ${file}; set it in production`);
    } else {
      this.logger.warn(`AUDIT_SIGNING_KEY is not set: signing with the development key in ${file}`);
    }
    return privateKeyFromPem(readFileSync(file, 'utf8'));
  }

  /** The store's verifiable log; NoVerifiableLogError where the store keeps none. */
  verifiableLog(): VerifiableLog {
    if (!this.log)
      throw new NoVerifiableLogError('This event store keeps no Merkle tree (PostgreSQL and PGlite do; EventStoreDB does not)');
    return this.log;
  }

  get keyId(): string {
    return keyIdOf(createPublicKey(this.signingKey()));
  }

  publicKeyPem(): string {
    return publicKeyPem(this.signingKey());
  }

  private signingKey(): KeyObject {
    this.verifiableLog();
    if (!this.key) throw new NoVerifiableLogError('The signing key is not loaded yet');
    return this.key;
  }

  /** Whether `head` carries this key's valid signature. */
  signatureValid(head: SignedTreeHead): boolean {
    try {
      verifyTreeHead(head, createPublicKey(this.signingKey()));
      return true;
    } catch (error) {
      if (error instanceof TreeHeadError) return false;
      throw error;
    }
  }

  /** Signs the tree as it stands now (on demand: a fresh timestamp even when it has not grown). One signature at a time. */
  sign(): Promise<SignedTreeHead> {
    this.signing ??= this.signNow().finally(() => (this.signing = undefined));
    return this.signing;
  }

  private async signIfGrown(): Promise<void> {
    const log = this.verifiableLog();
    const [tree, latest] = await Promise.all([log.tree(), log.latestHead()]);
    if ((latest?.treeSize ?? 0) !== tree.size) await this.sign();
  }

  private async signNow(): Promise<SignedTreeHead> {
    const log = this.verifiableLog();
    const [tree, latest] = await Promise.all([log.tree(), log.latestHead()]);
    // The stored nodes must give the stored root, and the last signed root at its size: else the tree changed.
    const root = (await log.rootAt(tree.size)).toString('hex');
    if (root !== tree.root)
      throw new TreeTamperedError(`The stored tree's nodes give root ${root} at ${tree.size}, its head says ${tree.root}`);
    if (latest && latest.treeSize <= tree.size) {
      const before = (await log.rootAt(latest.treeSize)).toString('hex');
      if (before !== latest.rootHash)
        throw new TreeTamperedError(`The stored tree no longer extends the head signed at ${latest.timestamp} (size ${latest.treeSize})`);
    } else if (latest) {
      throw new TreeTamperedError(
        `The stored tree has ${tree.size} events, fewer than the head signed at ${latest.timestamp} (${latest.treeSize})`,
      );
    }
    const head = signTreeHead({ treeSize: tree.size, rootHash: tree.root, timestamp: this.clock.now().toISOString() }, this.signingKey());
    await log.recordHead(head);
    return head;
  }
}

function readKeyFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`AUDIT_SIGNING_KEY names ${path}, which cannot be read: ${(error as Error).message}`);
  }
}
