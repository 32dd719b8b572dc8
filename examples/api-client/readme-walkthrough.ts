/**
 * The README's curl walk-through ("Then sign Lyon's convention…"), written against the client that
 * openapi-typescript generates from docs/openapi.json (schema.ts) and openapi-fetch: if the document
 * stops saying what the API answers, this stops compiling (`npm test` typechecks examples/), and
 * test/api-client.e2e.spec.ts runs it against the real API.
 *
 *   API_URL=http://localhost:3000 API_TOKEN=$(npm run -s cli -- token --role admin) \
 *     npx ts-node --transpile-only examples/api-client/readme-walkthrough.ts
 */
import createClient from 'openapi-fetch';
import type { components, paths } from './schema';

type Problem = components['schemas']['Problem'];

export interface Walkthrough {
  conventionId: string;
  /** The version the sign answered, the ETag the read gave, the version after the offer change. */
  signedVersion: number;
  etag: string;
  changedVersion: number;
  position: string;
  /** The same Idempotency-Key again: the first answer, nothing new recorded. */
  replayedConventionId: string;
  /** A second convention for Lyon: 422 naming R-CONV-1. */
  secondConvention: { status: number; rule: string | undefined };
  /** The version read before the change, sent again: 409. */
  staleIfMatch: { status: number; type: string | undefined };
  /** Lyon's entitlements in force on 2026-10-01, read once the change is projected (minPosition). */
  entitlementsOn20261001: Array<{ serviceId: string; offerId: string }>;
  /** Lyon's 2026 ledger lines (pending or final). */
  ledgerLines: number;
}

function problemOf(error: unknown): Problem & { rule?: string } {
  return error as Problem & { rule?: string };
}

export async function walkReadme(baseUrl: string, token: string, fetchImpl: typeof fetch = fetch): Promise<Walkthrough> {
  const client = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token}` }, fetch: fetchImpl });
  const lyon = {
    communeInsee: '69123',
    communeName: 'Lyon',
    signedOn: '2025-11-15',
    effectiveFrom: '2026-01-01',
    annexes: [
      { serviceId: 'toodego', offerId: 'partenaire', effectiveFrom: '2026-01-01' },
      { serviceId: 'laclasse', offerId: 'standard', effectiveFrom: '2026-01-01' },
    ],
  };

  // curl -X POST /api/conventions -H 'Idempotency-Key: lyon-convention' -d '{…}'  → 201 {conventionId, version, position, events}
  const signed = await client.POST('/api/conventions', { params: { header: { 'Idempotency-Key': 'lyon-convention' } }, body: lyon });
  if (!signed.data) throw new Error(`sign: ${signed.response.status} ${JSON.stringify(signed.error)}`);
  const { conventionId, version: signedVersion } = signed.data;

  const replay = await client.POST('/api/conventions', { params: { header: { 'Idempotency-Key': 'lyon-convention' } }, body: lyon });
  if (!replay.data) throw new Error(`replay: ${replay.response.status}`);

  const second = await client.POST('/api/conventions', { body: lyon });
  const secondConvention = { status: second.response.status, rule: second.error ? problemOf(second.error).rule : undefined };

  // curl -i /api/conventions/69123-1  → ETag: "3"; status, periods, annexes, version
  const read = await client.GET('/api/conventions/{id}', { params: { path: { id: conventionId } } });
  if (!read.data) throw new Error(`read: ${read.response.status}`);
  const etag = read.response.headers.get('ETag') ?? '';

  // curl -X POST …/annexes/toodego/offer-change -H 'If-Match: "3"' -d '{"offerId":"connecte","effectiveFrom":"2026-09-01"}'
  const change = await client.POST('/api/conventions/{id}/annexes/{serviceId}/offer-change', {
    params: { path: { id: conventionId, serviceId: 'toodego' }, header: { 'If-Match': etag } },
    body: { offerId: 'connecte', effectiveFrom: '2026-09-01' },
  });
  if (!change.data) throw new Error(`offer change: ${change.response.status} ${JSON.stringify(change.error)}`);
  const position = change.data.position ?? '0';

  const stale = await client.POST('/api/conventions/{id}/annexes/{serviceId}/offer-change', {
    params: { path: { id: conventionId, serviceId: 'toodego' }, header: { 'If-Match': etag } },
    body: { offerId: 'partenaire', effectiveFrom: '2026-11-01' },
  });
  const staleIfMatch = { status: stale.response.status, type: stale.error ? problemOf(stale.error).type : undefined };

  const entitlements = await client.GET('/api/communes/{insee}/entitlements', {
    params: { path: { insee: '69123' }, query: { on: '2026-10-01', minPosition: position } },
  });
  if (!entitlements.data) throw new Error(`entitlements: ${entitlements.response.status}`);

  const ledger = await client.GET('/api/communes/{insee}/ledgers/{year}', {
    params: { path: { insee: '69123', year: '2026' }, query: { minPosition: position } },
  });
  // The route also answers text/csv (Accept: text/csv): the generated type says so, JSON is the default.
  if (!ledger.data || typeof ledger.data === 'string') throw new Error(`ledger: ${ledger.response.status}`);

  return {
    conventionId,
    signedVersion,
    etag,
    changedVersion: change.data.version,
    position,
    replayedConventionId: replay.data.conventionId,
    secondConvention,
    staleIfMatch,
    entitlementsOn20261001: entitlements.data.map(({ serviceId, offerId }) => ({ serviceId, offerId })),
    ledgerLines: ledger.data.lines.length,
  };
}

if (require.main === module) {
  const baseUrl = process.env.API_URL ?? 'http://localhost:3000';
  const token = process.env.API_TOKEN;
  if (!token) {
    console.error('API_TOKEN is required (npm run -s cli -- token --role admin)');
    process.exit(1);
  }
  walkReadme(baseUrl, token).then(
    (result) => console.log(JSON.stringify(result, null, 2)),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
