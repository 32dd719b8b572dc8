/**
 * The TypeScript types of the API's paths, generated from the OpenAPI document by openapi-typescript
 * (for openapi-fetch clients, examples/api-client). Run alone, prints those of docs/openapi.json: the
 * test that checks examples/api-client/schema.ts is fresh runs it in a child process, because
 * openapi-typescript needs ES modules that Jest's CommonJS runtime cannot load.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import openapiTS, { astToString } from 'openapi-typescript';

const HEADER = '/* Generated from docs/openapi.json by `npm run openapi` (openapi-typescript): do not edit. */\n';

export async function typesText(document: Record<string, unknown>): Promise<string> {
  return HEADER + astToString(await openapiTS(document as never, { alphabetize: false, rootTypes: false }));
}

if (require.main === module)
  typesText(JSON.parse(readFileSync(join(__dirname, '../docs/openapi.json'), 'utf8')) as Record<string, unknown>).then(
    (text) => process.stdout.write(text),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
