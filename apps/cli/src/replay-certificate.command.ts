import { execFileSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { Command, CommandRunner, Option } from 'nest-commander';
import { verifyArchive } from '@lib/event-store/integrity/offline-verifier';
import { SignedTreeHead, parseSignedTreeHead, publicKeyFromPem } from '@lib/event-store/integrity/tree-head';
import { replayCertificate } from '@lib/projections/replay/replay-certificate';
import { ApiClient } from './api-client';

interface ReplayOptions {
  asKnownAt?: string;
  archive?: string;
  heads?: string;
  publicKey?: string;
  out?: string;
  years?: number[];
}

/**
 * `replay-certificate --as-known-at K [--archive history.jsonl --heads heads.json --public-key key.pem]`:
 * rebuilds the entitlements and the ledgers from the events recorded up to K, in a sandbox (docs/audit.md),
 * checks the archive against the signed head that covers them, and writes a certificate of their hashes.
 * Without files, the archive, the heads and the key come from the API (an auditor token, as export-history).
 * The same archive and code give the same certificate, byte for byte.
 */
@Command({
  name: 'replay-certificate',
  description:
    'replay the log up to an instant in a sandbox and certify the rebuilt entitlements and ledgers (hashes, signed head, code version)',
})
export class ReplayCertificateCommand extends CommandRunner {
  async run(_: string[], options: ReplayOptions): Promise<void> {
    if (!options.asKnownAt) throw new Error('--as-known-at is required');
    const work = mkdtempSync(join(tmpdir(), 'replay-'));
    try {
      const api = options.archive && options.heads && options.publicKey ? undefined : new ApiClient(process.env, 'auditor');
      const archive = options.archive ?? (await download(api!, '/audit/export', 'application/x-ndjson', join(work, 'history.jsonl')));
      const heads = options.heads ? headsFromFile(options.heads) : await headsFromApi(api!);
      const publicKey = publicKeyFromPem(
        options.publicKey ? readFileSync(options.publicKey, 'utf8') : await text(api!, '/audit/public-key', 'application/x-pem-file'),
      );
      const certificate = await replayCertificate({
        lines: lines(archive),
        asKnownAt: options.asKnownAt,
        heads,
        codeVersion: codeVersion(),
        years: options.years,
      });
      const report = await verifyArchive(lines(archive), certificate.signedHead, publicKey);
      if (!report.ok) throw new Error(`The archive does not hold against the head it replays under: ${report.problems.join('; ')}`);
      const json = `${JSON.stringify(certificate, null, 2)}\n`;
      if (options.out) writeFileSync(options.out, json);
      else process.stdout.write(json);
      process.stderr.write(
        `${certificate.replayed.events} events replayed up to ${certificate.asKnownAt}, under the head of ${certificate.signedHead.treeSize} signed at ${certificate.signedHead.timestamp}\n`,
      );
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }

  @Option({ flags: '--as-known-at <instant>', description: 'replay the events recorded at or before this ISO 8601 instant' })
  parseAsKnownAt(value: string): string {
    return value;
  }

  @Option({ flags: '--archive <history.jsonl>', description: 'an export (default: GET /api/audit/export)' })
  parseArchive(value: string): string {
    return value;
  }

  @Option({ flags: '--heads <heads.json>', description: 'a signed head, an array of them, or {heads} (default: GET /api/audit/heads)' })
  parseHeads(value: string): string {
    return value;
  }

  @Option({ flags: '--public-key <key.pem>', description: 'the log’s public key (default: GET /api/audit/public-key)' })
  parsePublicKey(value: string): string {
    return value;
  }

  @Option({ flags: '-o, --out <file>', description: 'write the certificate to this file instead of stdout' })
  parseOut(value: string): string {
    return value;
  }

  @Option({ flags: '--years <years>', description: 'ledger years, separated by commas (default: 2026 to the year of --as-known-at)' })
  parseYears(value: string): number[] {
    const years = value.split(',').map((year) => Number(year.trim()));
    if (years.some((year) => !Number.isInteger(year) || year < 2000 || year > 2200)) throw new Error(`--years: years, got ${value}`);
    return years;
  }
}

/** Lazily: a readline interface made before an await loses its lines to nobody, and its iterator then never ends. */
async function* lines(file: string): AsyncGenerator<string> {
  yield* createInterface({ input: createReadStream(file), crlfDelay: Infinity });
}

function headsFromFile(file: string): SignedTreeHead[] {
  const value: unknown = JSON.parse(readFileSync(file, 'utf8'));
  const list = Array.isArray(value)
    ? value
    : value && typeof value === 'object' && 'heads' in value
      ? (value as { heads: unknown[] }).heads
      : [value];
  return list.map(parseSignedTreeHead);
}

async function headsFromApi(api: ApiClient): Promise<SignedTreeHead[]> {
  const heads: SignedTreeHead[] = [];
  for (let before: string | null | undefined; before !== null;) {
    const response = await api.request<{ heads: unknown[]; next: string | null }>(
      'GET',
      `/audit/heads?limit=1000${before ? `&before=${before}` : ''}`,
    );
    if (response.status !== 200) throw new Error(`GET /audit/heads: HTTP ${response.status}`);
    heads.push(...response.body.heads.map(parseSignedTreeHead));
    before = response.body.next;
  }
  return heads;
}

async function text(api: ApiClient, path: string, accept: string): Promise<string> {
  const response = await api.fetch('GET', path, { accept });
  if (response.status !== 200) throw new Error(`GET ${path}: HTTP ${response.status}`);
  return response.text();
}

async function download(api: ApiClient, path: string, accept: string, file: string): Promise<string> {
  const response = await api.fetch('GET', path, { accept });
  if (response.status !== 200 || !response.body) throw new Error(`GET ${path}: HTTP ${response.status}`);
  const out = createWriteStream(file);
  for await (const chunk of Readable.fromWeb(response.body)) if (!out.write(chunk)) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
  return file;
}

/** The package's version and, where the code is a git checkout, its commit (CODE_COMMIT overrides, e.g. in an image). */
function codeVersion(): { package: string; commit: string | null } {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  const version = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  if (process.env.CODE_COMMIT) return { package: version, commit: process.env.CODE_COMMIT };
  try {
    return { package: version, commit: execFileSync('git', ['rev-parse', 'HEAD'], { cwd: dir, encoding: 'utf8' }).trim() };
  } catch {
    return { package: version, commit: null };
  }
}
