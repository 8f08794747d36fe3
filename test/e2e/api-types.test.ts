/** The console's generated API types match the OpenAPI document the app serves today. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateApiTypes, SCHEMA_FILE } from './api-types.ts';

// The document does not depend on the database: checked once, in the embedded pass.
describe.skipIf(Boolean(process.env.TEST_DATABASE_URL))('console API types (web/src/api/schema.d.ts)', () => {
  it('are up to date with /api/openapi.json (run `npm run gen:api` when this fails)', async () => {
    const fresh = (await generateApiTypes()).split('\n');
    const committed = readFileSync(SCHEMA_FILE, 'utf8').split('\n');
    const line = fresh.findIndex((text, i) => text !== committed[i]);
    const stale = line !== -1 ? line + 1 : fresh.length === committed.length ? null : fresh.length + 1;
    expect(stale, `web/src/api/schema.d.ts is stale from line ${stale}: run \`npm run gen:api\``).toBeNull();
  });
});
