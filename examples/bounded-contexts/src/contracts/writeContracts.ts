import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { salesEventsJsonSchema } from './salesEvents.js';

/** Where the published language's JSON Schema is kept (committed, linked from the README). */
export const SALES_EVENTS_SCHEMA_FILE = fileURLToPath(
  new URL('../../contracts/sales-events.schema.json', import.meta.url),
);

// `pnpm contracts`: regenerates the file; salesEvents.test.ts fails when it is out of date.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await writeFile(SALES_EVENTS_SCHEMA_FILE, `${JSON.stringify(salesEventsJsonSchema(), null, 2)}\n`);
  console.log(`Wrote ${SALES_EVENTS_SCHEMA_FILE}`);
}
