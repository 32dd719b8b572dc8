/**
 * Demo: what the 2026 fee ledger of the deliberation's 43 communes needs beyond `import-communes`
 * (which records their populations and their current subscriptions as legacy conventions):
 *  1. the Syntec values of syntec.csv (a value without a sourced publication date is taken as
 *     published on the last day of the following month, as the sourced ones are, and says so);
 *  2. for each commune of communes.csv, a convention signed on 2025-12-15, in force from 2026-01-01,
 *     with one annex per service it lists (toodego with its offer, laclasse standard) from 2026-01-01.
 * Through the API (API_URL, JWT_SECRET or API_TOKEN, as the CLI). Re-runnable: every request carries
 * an Idempotency-Key, so a second run records nothing new.
 *
 *   npx ts-node --transpile-only -r tsconfig-paths/register scripts/demo-ledger-2026.ts [demo-data]
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ApiClient, describeProblem } from '../apps/cli/src/api-client';

export const DEMO_SIGNED_ON = '2025-12-15';
export const DEMO_EFFECTIVE_FROM = '2026-01-01';

export interface DemoRequest {
  path: string;
  idempotencyKey: string;
  body: Record<string, unknown>;
}

function rows(csv: string): Record<string, string>[] {
  const [header, ...lines] = csv
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '');
  const names = header.split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((value, i) => [names[i], value.trim()])));
}

/** R-FEE-3: each month's value with its publication date; an unsourced date is the next month's last day. */
export function syntecRequests(csv: string): DemoRequest[] {
  return rows(csv).map(({ period, value, published_on }) => ({
    path: '/reference/syntec',
    idempotencyKey: `demo-syntec-${period}`,
    body: {
      period,
      value,
      publishedOn: published_on || lastDayOfNextMonth(period),
      ...(published_on ? {} : { reason: 'Demo: publication date not sourced, taken as the last day of the following month' }),
    },
  }));
}

/** One convention per commune, with the services communes.csv lists for it (R-CONV-2, R-ANX-1). */
export function conventionRequests(csv: string): DemoRequest[] {
  return rows(csv).map((row) => {
    const annexes = [
      ...(row.toodego_offer ? [{ serviceId: 'toodego', offerId: row.toodego_offer, effectiveFrom: DEMO_EFFECTIVE_FROM }] : []),
      ...(row.laclasse === 'yes' ? [{ serviceId: 'laclasse', offerId: 'standard', effectiveFrom: DEMO_EFFECTIVE_FROM }] : []),
    ];
    return {
      path: '/conventions',
      idempotencyKey: `demo-convention-${row.insee}`,
      body: {
        communeInsee: row.insee,
        communeName: row.name,
        signedOn: DEMO_SIGNED_ON,
        effectiveFrom: DEMO_EFFECTIVE_FROM,
        legalReference: 'CP-2025-4074',
        annexes,
      },
    };
  });
}

function lastDayOfNextMonth(period: string): string {
  const [year, month] = period.split('-').map(Number);
  // Day 0 of the month after next is the last day of the next month.
  const last = new Date(Date.UTC(year, month + 1, 0));
  return last.toISOString().slice(0, 10);
}

async function main(): Promise<void> {
  const dataDir = resolve(process.argv[2] ?? join(__dirname, '..', 'demo-data'));
  const client = new ApiClient();
  const requests = [
    ...syntecRequests(readFileSync(join(dataDir, 'syntec.csv'), 'utf8')),
    ...conventionRequests(readFileSync(join(dataDir, 'communes.csv'), 'utf8')),
  ];
  let failures = 0;
  for (const { path, idempotencyKey, body } of requests) {
    const response = await client.request('POST', path, { body, headers: { 'Idempotency-Key': idempotencyKey } });
    if (response.status >= 300) {
      failures += 1;
      console.error(`${path} ${String(body.communeInsee ?? body.period)}: ${describeProblem(response.status, response.body)}`);
    }
  }
  console.log(
    `${requests.length - failures} of ${requests.length} requests recorded (or already recorded). Now: npm run cli -- ledger 2026`,
  );
  if (failures > 0) process.exit(1);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  });
}
