// PostGraphile v5 as the read benchmark's peer: amber preset, no GraphiQL, no watch.
//
// It connects as the bench's database user and, per request, switches to the
// reusegraph_api role (pgSettings: PostGraphile runs set_config('role', ...) in the
// request's transaction). That role cannot bypass row-level security, and with no
// reusegraph.* settings the policies give exactly what an anonymous reusegraph caller
// sees. Started and stopped by bench/peers.py: BENCH_PG_URL, BENCH_PORT.
import { createServer } from "node:http";
import { postgraphile } from "postgraphile";
import { makePgService } from "postgraphile/adaptors/pg";
import { grafserv } from "postgraphile/grafserv/node";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";

const port = Number(process.env.BENCH_PORT);
const preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [
    makePgService({
      connectionString: process.env.BENCH_PG_URL,
      schemas: ["public"],
      pgSettings: () => ({ role: "reusegraph_api" }),
      poolConfig: { max: 10 },
    }),
  ],
  grafserv: { graphiql: false, watch: false },
  grafast: { explain: false },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const graphql = serv.createHandler();
const server = createServer((req, res) => {
  if (req.url === "/healthz") {
    res.writeHead(200, { "content-type": "text/plain" }).end("ok");
    return;
  }
  graphql(req, res);
});
server.keepAliveTimeout = 65_000;
server.listen(port, "127.0.0.1");

const stop = () => {
  server.close();
  pgl.release().finally(() => process.exit(0));
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
