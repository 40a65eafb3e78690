// An Apollo Federation v2 gateway over running subgraphs, as a router would be set up:
// fetch each subgraph's SDL ({ _service { sdl } }), compose the supergraph with
// @apollo/composition (what `rover supergraph compose` does), and serve it with
// @apollo/gateway + @apollo/server. The caller's Authorization header is forwarded to
// every subgraph, so each subgraph authorizes the real caller, not the gateway.
//
//   node gateway.mjs [--port N] [--supergraph-out FILE] name=url [name=url ...]
//
// Prints "ready <url>" when listening. Composition errors are printed and exit with 1.

import { writeFileSync } from 'node:fs';
import { composeServices } from '@apollo/composition';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { parse } from 'graphql';

function parseArgs(argv) {
  const options = { port: 0, supergraphOut: null, subgraphs: [] };
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === '--port') options.port = Number(argv[++i]);
    else if (argv[i] === '--supergraph-out') options.supergraphOut = argv[++i];
    else {
      const at = argv[i].indexOf('=');
      if (at <= 0) throw new Error(`expected name=url, got ${argv[i]}`);
      options.subgraphs.push({ name: argv[i].slice(0, at), url: argv[i].slice(at + 1) });
    }
  }
  if (options.subgraphs.length === 0) throw new Error('no subgraphs given (name=url ...)');
  return options;
}

async function fetchSdl({ name, url }) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ _service { sdl } }' }),
  });
  if (!response.ok) throw new Error(`${name} (${url}): HTTP ${response.status} for { _service { sdl } }`);
  const body = await response.json();
  const sdl = body?.data?._service?.sdl;
  if (typeof sdl !== 'string') {
    throw new Error(`${name} (${url}): no _service.sdl in ${JSON.stringify(body).slice(0, 500)}`);
  }
  return { name, url, typeDefs: parse(sdl) };
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const services = await Promise.all(options.subgraphs.map(fetchSdl));
  const composed = composeServices(services);
  if (composed.errors) {
    for (const error of composed.errors) console.error(`composition error: ${error.message}`);
    process.exit(1);
  }
  if (options.supergraphOut) writeFileSync(options.supergraphOut, composed.supergraphSdl);

  const gateway = new ApolloGateway({
    supergraphSdl: composed.supergraphSdl,
    buildService: ({ url }) =>
      new RemoteGraphQLDataSource({
        url,
        willSendRequest({ request, context }) {
          if (context.authorization) request.http.headers.set('authorization', context.authorization);
        },
      }),
  });
  const server = new ApolloServer({ gateway });
  const { url } = await startStandaloneServer(server, {
    listen: { host: '127.0.0.1', port: options.port },
    context: async ({ req }) => ({ authorization: req.headers.authorization ?? null }),
  });
  console.log(`ready ${url}`);
}

main().catch((error) => {
  console.error(error?.stack ?? String(error));
  process.exit(1);
});
