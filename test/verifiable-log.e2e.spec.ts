import { spawnSync } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { replayCertificate } from '@lib/projections/replay/replay-certificate';
import { RecordedEvent } from '@lib/event-store/event-store.port';
import { eventHash, eventLeafData } from '@lib/event-store/integrity/event-hash';
import { EMPTY_FRONTIER, appendLeaves, frontierRoot, leafHash, perfectSubtrees } from '@lib/event-store/integrity/merkle';
import {
  InclusionProofDocument,
  verifyArchive,
  verifyConsistencyDocument,
  verifyInclusionDocument,
} from '@lib/event-store/integrity/offline-verifier';
import { SignedTreeHead, keyIdOf, publicKeyFromPem } from '@lib/event-store/integrity/tree-head';
import { PostgresEventStore } from '@lib/event-store/postgres/postgres-event-store';
import { TEST_SIGNING_KEY, bearer, describeE2E } from './support/app';

/**
 * Issue 14: signed tree heads, inclusion and consistency proofs, checked offline with nothing but the
 * public key; tampering (by someone who recomputes every hash after the change) caught against a head
 * signed before it.
 */
describeE2E('verifiable log: signed tree heads and proofs (R-AUD-1)', (current) => {
  const INSEE = '69259'; // Vénissieux
  const ID = `${INSEE}-1`;
  const auditor = () => bearer(current().tokens.auditor);
  const publicKey = () => createPublicKey(TEST_SIGNING_KEY);
  let first: SignedTreeHead;
  let second: SignedTreeHead;

  async function sealed(): Promise<RecordedEvent[]> {
    await (current().store as PostgresEventStore).seal();
    return current().allEvents();
  }

  async function signHead(): Promise<SignedTreeHead> {
    const response = await current().http.post('/api/audit/heads').set(auditor());
    expect({ status: response.status, body: response.body }).toMatchObject({ status: 201 });
    return response.body as SignedTreeHead;
  }

  async function exportLines(): Promise<string[]> {
    const response = await current()
      .http.get('/api/audit/export')
      .set(auditor())
      .buffer(true)
      .parse((res, done) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        res.on('end', () => done(null, text));
      });
    expect(response.status).toBe(200);
    return (response.body as string).split('\n').filter((line) => line !== '');
  }

  beforeAll(async () => {
    const { http, tokens } = current();
    await http
      .post('/api/conventions')
      .set(bearer(tokens.admin))
      .send({
        communeInsee: INSEE,
        communeName: 'Vénissieux',
        signedOn: '2026-02-10',
        effectiveFrom: '2026-03-01',
        legalReference: 'DEL-2026-017',
        reason: 'Délibération du conseil municipal du 2 février 2026',
        annexes: [{ serviceId: 'toodego', offerId: 'partenaire', effectiveFrom: '2026-03-01' }],
      })
      .expect(201);
    await sealed();
    first = await signHead();
    await http
      .post(`/api/conventions/${ID}/annexes/toodego/stop`)
      .set(bearer(tokens.admin))
      .send({ effectiveOn: '2026-10-01', reason: 'Fin du service' })
      .expect(200);
    await sealed();
    second = await signHead();
  }, 60_000);

  it('gives the public key without a token, as JSON or PEM, and it verifies the heads it signs', async () => {
    const { http } = current();
    const json = await http.get('/api/audit/public-key').expect(200);
    const key = publicKeyFromPem(json.body.publicKeyPem);
    expect(json.body).toMatchObject({ algorithm: 'Ed25519', keyId: keyIdOf(key) });
    expect(keyIdOf(key)).toBe(keyIdOf(publicKey()));
    const pem = await http.get('/api/audit/public-key').set('Accept', 'application/x-pem-file').expect(200);
    expect(pem.headers['content-type']).toMatch(/^application\/x-pem-file/);
    expect(pem.text).toBe(json.body.publicKeyPem);
    expect(second.keyId).toBe(keyIdOf(key));
  });

  it('signs heads over the sealed tree: every event at the time, later heads larger; latest and the paged list give them', async () => {
    const { http } = current();
    const events = await current().allEvents();
    expect(second.treeSize).toBe(events.length);
    expect(first.treeSize).toBeLessThan(second.treeSize);
    const leaves = events.map((event) => leafHash(eventLeafData(event)));
    expect(second.rootHash).toBe(frontierRoot(appendLeaves(EMPTY_FRONTIER, leaves).frontier).toString('hex'));
    expect(first.rootHash).toBe(frontierRoot(appendLeaves(EMPTY_FRONTIER, leaves.slice(0, first.treeSize)).frontier).toString('hex'));
    await http.get('/api/audit/heads/latest').set(auditor()).expect(200, second);
    const page = await http.get('/api/audit/heads').query({ limit: '1' }).set(auditor()).expect(200);
    expect(page.body.heads).toEqual([second]);
    const rest = await http.get('/api/audit/heads').query({ limit: '1', before: page.body.next }).set(auditor()).expect(200);
    expect(rest.body.heads).toEqual([first]);
  });

  it('refuses heads and proofs to roles other than auditor (and admin for heads), and malformed parameters field by field', async () => {
    const { http, tokens } = current();
    await http.post('/api/audit/heads').set(bearer(tokens.consumer)).expect(403);
    await http
      .get('/api/audit/heads')
      .set(bearer(tokens.commune(INSEE)))
      .expect(403);
    await http.get('/api/audit/heads/latest').set(bearer(tokens.admin)).expect(200);
    await http.get('/api/audit/consistency').query({ from: '1' }).set(bearer(tokens.admin)).expect(403);
    const bad = await http.get('/api/audit/heads').query({ limit: '0', before: 'x', extra: '1' }).set(auditor()).expect(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['before', 'extra', 'limit']);
    const proof = await http.get('/api/audit/events/nope/proof').query({ treeSize: '-1' }).set(auditor()).expect(400);
    expect(proof.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['position', 'treeSize']);
    await http.get('/api/audit/events/999999-999999/proof').set(auditor()).expect(404);
    await http
      .get('/api/audit/consistency')
      .query({ from: String(second.treeSize + 1) })
      .set(auditor())
      .expect(400);
    await http.get('/api/audit/consistency').set(auditor()).expect(400);
  });

  it('proves each event in the latest signed head, and an early one in the first head, checked offline', async () => {
    const { http } = current();
    const events = await current().allEvents();
    for (const [index, event] of events.entries()) {
      const position = `${event.position.commit}-${event.position.prepare}`;
      const response = await http.get(`/api/audit/events/${position}/proof`).set(auditor()).expect(200);
      const proof = response.body as InclusionProofDocument & { signedHead: SignedTreeHead | null };
      expect(proof).toMatchObject({ leafIndex: index, treeSize: second.treeSize, signedHead: second });
      expect(() => verifyInclusionDocument(proof, second, publicKey())).not.toThrow();
      // The same proof against the other head, or for another event, fails.
      expect(() => verifyInclusionDocument(proof, first, publicKey())).toThrow();
      expect(() =>
        verifyInclusionDocument({ ...proof, event: { ...proof.event, revision: proof.event.revision + 1 } }, second, publicKey()),
      ).toThrow();
    }
    const early = events[0];
    const old = await http
      .get(`/api/audit/events/${early.position.commit}-${early.position.prepare}/proof`)
      .query({ treeSize: String(first.treeSize) })
      .set(auditor())
      .expect(200);
    expect(() => verifyInclusionDocument(old.body, first, publicKey())).not.toThrow();
  });

  it('proves the second head extends the first, checked offline; a forged head fails', async () => {
    const { http } = current();
    const response = await http
      .get('/api/audit/consistency')
      .query({ from: String(first.treeSize) })
      .set(auditor())
      .expect(200);
    expect(response.body).toMatchObject({ from: first.treeSize, to: second.treeSize, fromRoot: first.rootHash, toRoot: second.rootHash });
    expect(() => verifyConsistencyDocument(response.body, first, second, publicKey())).not.toThrow();
    const forged = { ...second, rootHash: first.rootHash };
    expect(() => verifyConsistencyDocument(response.body, first, forged, publicKey())).toThrow(/signature/);
  });

  it('verifies the chain, the stored tree and the latest signed head', async () => {
    const response = await current().http.get('/api/audit/verify').set(auditor()).expect(200);
    expect(response.body).toMatchObject({
      ok: true,
      tree: { size: second.treeSize, root: second.rootHash, ok: true },
      signedHead: { treeSize: second.treeSize, signatureValid: true, rootMatches: true, ok: true },
    });
  });

  it('checks an archive offline against a head signed earlier: edited with every hash recomputed, truncated or reordered, it fails', async () => {
    const lines = await exportLines();
    expect(await verifyArchive(lines, second, publicKey())).toMatchObject({
      ok: true,
      events: second.treeSize,
      rootAtHead: second.rootHash,
    });
    // A longer archive still proves the head's prefix.
    expect((await verifyArchive(lines, first, publicKey())).ok).toBe(true);

    const rechained = (events: Record<string, unknown>[]) => {
      let previous: string | null = null;
      return events.map((event) => {
        const hash = eventHash(event as never, previous);
        const line = JSON.stringify({ ...event, previousHash: previous, hash });
        previous = hash;
        return line;
      });
    };
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const edited = parsed.map((event, i) =>
      i === 1 ? { ...event, metadata: { ...(event.metadata as object), legalReference: 'DEL-2026-999' } } : event,
    );
    const editedReport = await verifyArchive(rechained(edited), second, publicKey());
    expect(editedReport.ok).toBe(false);
    expect(editedReport.firstBrokenChainLine).toBeUndefined(); // the chain was recomputed: only the signed root catches it
    expect(editedReport.problems.join()).toMatch(/signed head says/);

    expect((await verifyArchive(rechained(parsed.slice(0, -1)), second, publicKey())).problems.join()).toMatch(/events are missing/);
    const swapped = [...parsed];
    [swapped[1], swapped[2]] = [swapped[2], swapped[1]];
    expect((await verifyArchive(rechained(swapped), second, publicKey())).ok).toBe(false);
    // A head whose signature is not the key's.
    expect((await verifyArchive(lines, { ...second, treeSize: second.treeSize - 1 }, publicKey())).signatureValid).toBe(false);
  });

  it('certifies a replay up to an instant: the same archive gives the same certificate; an earlier instant, fewer events and other hashes', async () => {
    const lines = await exportLines();
    const events = lines.map((line) => JSON.parse(line) as { type: string; recordedAt: string });
    const stopAt = events.findIndex((e) => e.type === 'ServiceStopped');
    const beforeStop = new Date(Date.parse(events[stopAt].recordedAt) - 1).toISOString();
    const replay = (asKnownAt: string) =>
      replayCertificate({ lines, asKnownAt, heads: [second, first], codeVersion: { package: 'test', commit: null }, years: [2026] });
    const now = new Date().toISOString();
    const [once, twice, earlier] = [await replay(now), await replay(now), await replay(beforeStop)];
    expect(JSON.stringify(twice)).toBe(JSON.stringify(once));
    expect(once).toMatchObject({ replayed: { events: second.treeSize, rootHash: second.rootHash }, signedHead: second });
    expect(once.projections.entitlements.rows).toBeGreaterThan(0);
    expect(once.projections.ledgers[0]).toMatchObject({ year: 2026, lines: 1 });
    // Before the stop was recorded: the first head covers it, and Vénissieux's access had no end yet.
    expect(earlier).toMatchObject({ replayed: { events: stopAt }, signedHead: stopAt <= first.treeSize ? first : second });
    expect(earlier.projections.entitlements.sha256).not.toBe(once.projections.entitlements.sha256);
    expect(earlier.projections.ledgers[0].sha256).not.toBe(once.projections.ledgers[0].sha256);
  }, 60_000);

  // The offline commands, as an auditor runs them on files: no API (API_URL points nowhere), no store.
  it('the CLI verifies an archive, a proof and a consistency proof offline, exits 1 on a tampered archive, and writes the same certificate twice', async () => {
    const { http } = current();
    const dir = mkdtempSync(join(tmpdir(), 'verifiable-log-'));
    try {
      const file = (name: string, content: unknown) => {
        const path = join(dir, name);
        writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
        return path;
      };
      const key = file('key.pem', (await http.get('/api/audit/public-key').expect(200)).body.publicKeyPem);
      const head = file('head.json', second);
      const oldHead = file('old.json', first);
      const lines = await exportLines();
      const archive = file('history.jsonl', lines.join('\n') + '\n');
      const tampered = file('tampered.jsonl', lines.slice(0, -1).join('\n') + '\n');
      const event = await current().allEvents();
      const proof = file(
        'proof.json',
        (await http.get(`/api/audit/events/${event[2].position.commit}-${event[2].position.prepare}/proof`).set(auditor()).expect(200))
          .body,
      );
      const consistency = file(
        'consistency.json',
        (
          await http
            .get('/api/audit/consistency')
            .query({ from: String(first.treeSize) })
            .set(auditor())
            .expect(200)
        ).body,
      );
      const heads = file('heads.json', [first, second]);
      const cli = (...args: string[]) =>
        spawnSync(
          process.execPath,
          ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', 'apps/cli/src/main.ts', ...args],
          {
            cwd: join(__dirname, '..'),
            encoding: 'utf8',
            timeout: 120_000,
            env: { ...process.env, API_URL: 'http://127.0.0.1:9/api' }, // nothing answers there: offline
          },
        );
      const ok = cli('verify-archive', archive, '--head', head, '--public-key', key);
      expect({ status: ok.status, stderr: ok.stderr }).toEqual({ status: 0, stderr: expect.stringContaining('OK') });
      expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, events: second.treeSize });
      const bad = cli('verify-archive', tampered, '--head', head, '--public-key', key);
      expect({ status: bad.status, stderr: bad.stderr }).toEqual({ status: 1, stderr: expect.stringContaining('events are missing') });
      expect(cli('verify-proof', '--proof', proof, '--head', head, '--public-key', key).status).toBe(0);
      expect(cli('verify-proof', '--proof', proof, '--head', oldHead, '--public-key', key).status).toBe(1);
      expect(cli('verify-proof', '--proof', consistency, '--from-head', oldHead, '--head', head, '--public-key', key).status).toBe(0);
      const certify = (out: string) =>
        cli(
          'replay-certificate',
          '--as-known-at',
          '2100-01-01T00:00:00Z',
          '--archive',
          archive,
          '--heads',
          heads,
          '--public-key',
          key,
          '--years',
          '2026',
          '--out',
          join(dir, out),
        );
      const [a, b] = [certify('a.json'), certify('b.json')];
      expect({ status: a.status, stderr: a.stderr }).toEqual({ status: 0, stderr: expect.stringContaining('events replayed') });
      expect(b.status).toBe(0);
      expect(readFileSync(join(dir, 'b.json'), 'utf8')).toBe(readFileSync(join(dir, 'a.json'), 'utf8'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);

  it('a changed node: the proofs through it are refused, and a tree whose top changed is never signed; a changed head fails its signature', async () => {
    const { http, db } = current();
    const events = await current().allEvents();
    await db.query(`UPDATE event_tree_nodes SET hash = sha256(hash) WHERE level = 0 AND idx = 0`);
    const next = events[1];
    const refusedProof = await http
      .get(`/api/audit/events/${next.position.commit}-${next.position.prepare}/proof`)
      .set(auditor())
      .expect(409);
    expect(refusedProof.body.type).toBe('/problems/tree-tampered');
    await db.query(`UPDATE event_tree_nodes SET hash = $1 WHERE level = 0 AND idx = 0`, [leafHash(eventLeafData(events[0]))]);
    // The largest perfect subtree of the tree: part of its root.
    const top = perfectSubtrees({ start: 0, end: second.treeSize })[0];
    await db.query(`UPDATE event_tree_nodes SET hash = sha256(hash) WHERE level = $1 AND idx = $2`, [top.level, top.index]);
    const refused = await http.post('/api/audit/heads').set(auditor()).expect(409);
    expect(refused.body.type).toBe('/problems/tree-tampered');
    const fromEvents = await http.get('/api/audit/verify').set(auditor()).expect(200);
    expect(fromEvents.body).toMatchObject({ ok: true }); // verify recomputes from the events, not from the nodes
    await db.query(`UPDATE event_tree_nodes SET hash = $1 WHERE level = $2 AND idx = $3`, [
      frontierRoot(
        appendLeaves(
          EMPTY_FRONTIER,
          events.slice(top.index * 2 ** top.level, (top.index + 1) * 2 ** top.level).map((e) => leafHash(eventLeafData(e))),
        ).frontier,
      ),
      top.level,
      top.index,
    ]);
    await http.post('/api/audit/heads').set(auditor()).expect(201);

    const latestId = `(SELECT max(id) FROM event_tree_heads)`;
    await db.query(`UPDATE event_tree_heads SET tree_size = tree_size - 1 WHERE id = ${latestId}`);
    const verify = await http.get('/api/audit/verify').set(auditor()).expect(200);
    expect(verify.body).toMatchObject({ ok: false, signedHead: { signatureValid: false } });
    await db.query(`UPDATE event_tree_heads SET tree_size = tree_size + 1 WHERE id = ${latestId}`);
    await http
      .get('/api/audit/verify')
      .set(auditor())
      .expect(200)
      .expect((r) => expect(r.body.ok).toBe(true));
  });

  it('a log rewritten in the database with every hash and node recomputed fails against the head signed before', async () => {
    const { http, db } = current();
    const events = await current().allEvents();
    const target = events[1];
    await db.query(`UPDATE events SET metadata = jsonb_set(metadata, '{legalReference}', '"DEL-2026-999"') WHERE seq = $1`, [
      target.position.prepare,
    ]);
    // The attacker recomputes the chain, every node of the tree and both heads from the edited log.
    const rewritten = await current().allEvents();
    let previous: string | null = null;
    for (const event of rewritten) {
      previous = eventHash(event, previous);
      await db.query(`UPDATE event_chain SET hash = decode($1, 'hex') WHERE seq = $2`, [previous, event.position.prepare]);
    }
    const { created, frontier } = appendLeaves(
      EMPTY_FRONTIER,
      rewritten.map((event) => leafHash(eventLeafData(event))),
    );
    await db.query(`DELETE FROM event_tree_nodes`);
    for (const node of created)
      await db.query(`INSERT INTO event_tree_nodes (level, idx, hash) VALUES ($1, $2, $3)`, [node.level, node.index, node.hash]);
    await db.query(`UPDATE event_seal_head SET hash = decode($1, 'hex'), tree_root = $2`, [previous, frontierRoot(frontier)]);

    const verify = await http.get('/api/audit/verify').set(auditor()).expect(200);
    // The chain and the stored tree are self-consistent again; the head signed before is not.
    expect(verify.body).toMatchObject({
      ok: false,
      tree: { ok: true },
      signedHead: { signatureValid: true, rootMatches: false, ok: false },
    });
    const report = await verifyArchive(await exportLines(), second, publicKey());
    expect(report).toMatchObject({ ok: false, signatureValid: true });
    expect(report.firstBrokenChainLine).toBeUndefined();
    await http.post('/api/audit/heads').set(auditor()).expect(409);
  });
});
