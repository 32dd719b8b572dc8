import 'reflect-metadata';
import { join } from 'node:path';
import { createApp } from '../apps/api/src/bootstrap';
import { loadConfig } from '../apps/api/src/config/app-config';
import { openApiDocument } from '../apps/api/src/http/openapi';

/** Where `npm run openapi` (scripts/openapi.ts) writes the contract and its generated types. */
export const ROOT = join(__dirname, '..');
export const DOCUMENT_FILE = join(ROOT, 'docs/openapi.json');
export const TYPES_FILE = join(ROOT, 'examples/api-client/schema.ts');

/** The document as the running API serves it: the same bootstrap, created but never initialised (no store opened, no port). */
export async function buildDocument(): Promise<Record<string, unknown>> {
  const config = loadConfig({ JWT_SECRET: 'openapi-document-only-openapi-document', LOG_LEVEL: 'error', LIFECYCLE_SCHEDULE: 'off' });
  const app = await createApp(config, { kind: 'pglite' });
  try {
    return openApiDocument(app) as unknown as Record<string, unknown>;
  } finally {
    await app.close();
  }
}

export function documentText(document: Record<string, unknown>): string {
  return JSON.stringify(document, null, 2) + '\n';
}
