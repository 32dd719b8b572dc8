/**
 * Writes the OpenAPI document from the Nest application, without listening nor opening a store
 * (the app is created, never initialised), and the TypeScript types generated from it:
 *   docs/openapi.json                 the contract (also served at /api/docs-json)
 *   examples/api-client/schema.ts     openapi-typescript's types, for openapi-fetch clients
 * test/openapi.e2e.spec.ts fails when either is stale: run `npm run openapi` after changing a route.
 *
 *   npm run openapi
 */
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import openapiTS, { astToString } from 'openapi-typescript';
import { createApp } from '../apps/api/src/bootstrap';
import { loadConfig } from '../apps/api/src/config/app-config';
import { openApiDocument } from '../apps/api/src/http/openapi';

export const ROOT = join(__dirname, '..');
export const DOCUMENT_FILE = join(ROOT, 'docs/openapi.json');
export const TYPES_FILE = join(ROOT, 'examples/api-client/schema.ts');

const TYPES_HEADER = '/* Generated from docs/openapi.json by `npm run openapi` (openapi-typescript): do not edit. */\n';

/** The document as the running API serves it: the same bootstrap, with a configuration that touches nothing. */
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

export async function typesText(document: Record<string, unknown>): Promise<string> {
  const ast = await openapiTS(document as never, { alphabetize: false, rootTypes: false });
  return TYPES_HEADER + astToString(ast);
}

async function main(): Promise<void> {
  const document = await buildDocument();
  writeFileSync(DOCUMENT_FILE, documentText(document));
  writeFileSync(TYPES_FILE, await typesText(document));
  console.log(`Wrote ${DOCUMENT_FILE} and ${TYPES_FILE}`);
}

if (require.main === module)
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
