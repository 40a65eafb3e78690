// Compose a supergraph from subgraph SDL files, as `rover supergraph compose` does, with
// @apollo/composition. Used for the compose file's router (deploy/router/).
//
//   node compose-supergraph.mjs name=routing_url=sdl_file [...]   (supergraph on stdout)

import { readFileSync } from 'node:fs';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';

const services = process.argv.slice(2).map((arg) => {
  const [name, url, file] = arg.split('=');
  if (!name || !url || !file) throw new Error(`expected name=routing_url=sdl_file, got ${arg}`);
  return { name, url, typeDefs: parse(readFileSync(file, 'utf8')) };
});
const composed = composeServices(services);
if (composed.errors) {
  for (const error of composed.errors) console.error(`composition error: ${error.message}`);
  process.exit(1);
}
process.stdout.write(composed.supergraphSdl);
