// A second Apollo Federation v2 subgraph: a municipal directory run by "another system".
//
// It extends reusegraph's Municipality (@key "code") with fields reusegraph does not have,
// and hands out Process and Vendor references that only reusegraph can resolve, so a
// gateway query must go through reusegraph's _entities for all three entity types.
// The Authorization header of every request that resolved a Municipality (by key or at the
// root) is recorded (seenAuthorizations) so a test can prove that the gateway forwarded the
// caller's token.
// The directory values below are test fixtures, not facts.
//
//   node directory-subgraph.mjs [--port N]      prints "ready <url>" when listening

import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';

const DIRECTORY = {
  'NO-5001': { itContact: 'IT-tjenesten, Trondheim kommune (test fixture)', population: 212660 },
  'NO-0301': { itContact: 'Utviklings- og kompetanseetaten, Oslo kommune (test fixture)', population: 717710 },
  'DK-0746': { itContact: 'Digitalisering, Skanderborg Kommune (test fixture)', population: 64390 },
};

const typeDefs = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])

  type Municipality @key(fields: "code") {
    code: String!
    "Who to call about IT in this municipality (from the directory)."
    itContact: String
    population: Int
  }

  type Process @key(fields: "id", resolvable: false) {
    id: ID!
  }

  type Vendor @key(fields: "id", resolvable: false) {
    id: ID!
  }

  type Query {
    directoryMunicipality(code: String!): Municipality
    processByRef(id: ID!): Process
    vendorByRef(id: ID!): Vendor
    "Authorization headers of the requests that resolved a Municipality, oldest first."
    seenAuthorizations: [String]!
  }
`);

const seen = [];
const recorded = new WeakSet();

function record(context) {
  if (!recorded.has(context)) {
    recorded.add(context);
    seen.push(context.authorization);
  }
}

const resolvers = {
  Query: {
    directoryMunicipality(_, { code }, context) {
      record(context);
      return code in DIRECTORY ? { code } : null;
    },
    processByRef: (_, { id }) => ({ id }),
    vendorByRef: (_, { id }) => ({ id }),
    seenAuthorizations: () => seen,
  },
  Municipality: {
    __resolveReference(reference, context) {
      record(context);
      return { code: reference.code };
    },
    itContact: ({ code }) => DIRECTORY[code]?.itContact ?? null,
    population: ({ code }) => DIRECTORY[code]?.population ?? null,
  },
};

const args = process.argv.slice(2);
const portAt = args.indexOf('--port');
const port = portAt >= 0 ? Number(args[portAt + 1]) : 0;

const server = new ApolloServer({ schema: buildSubgraphSchema([{ typeDefs, resolvers }]) });
const { url } = await startStandaloneServer(server, {
  listen: { host: '127.0.0.1', port },
  context: async ({ req }) => ({ authorization: req.headers.authorization ?? null }),
});
console.log(`ready ${url}`);
