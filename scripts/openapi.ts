/**
 * Writes the OpenAPI document from the Nest application, without listening nor opening a store, and
 * the TypeScript types generated from it:
 *   docs/openapi.json                 the contract (also served at /api/docs-json)
 *   examples/api-client/schema.ts     openapi-typescript's types, for openapi-fetch clients
 * test/openapi.e2e.spec.ts fails when either is stale: run `npm run openapi` after changing a route.
 *
 *   npm run openapi
 */
import { writeFileSync } from 'node:fs';
import { DOCUMENT_FILE, TYPES_FILE, buildDocument, documentText } from './openapi-document';
import { typesText } from './openapi-types';

async function main(): Promise<void> {
  const document = await buildDocument();
  writeFileSync(DOCUMENT_FILE, documentText(document));
  writeFileSync(TYPES_FILE, await typesText(document));
  console.log(`Wrote ${DOCUMENT_FILE} and ${TYPES_FILE}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
