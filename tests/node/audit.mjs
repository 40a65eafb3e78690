// graphql-http's server audit (GraphQL over HTTP spec conformance) against a running server.
//
//   node audit.mjs <url>
//
// Prints one JSON line per audit ({id, name, status, reason}); status is ok, notice (a MAY),
// warn (a SHOULD) or error (a MUST). Exits 0 unless the audit itself could not run.

import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs <url>');
  process.exit(2);
}
const results = await auditServer({ url });
for (const result of results) {
  const { id, name, status } = result;
  const reason = status === 'ok' ? undefined : result.reason;
  console.log(JSON.stringify({ id, name, status, reason }));
}
