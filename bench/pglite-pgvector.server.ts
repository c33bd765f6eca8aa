// PGlite is a dev dependency: only tests and benchmarks start it.
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface PgvectorServer {
  /** Connection string for PGVECTOR_URL (user and database `postgres`). */
  url: string;
  stop(): Promise<void>;
}

/**
 * A real Postgres with pgvector for tests and benchmarks where no server with the extension is
 * configured: PGlite (Postgres compiled to WASM, in this process) with its `vector` extension, served
 * over TCP. PGlite is one session: the socket server multiplexes connections onto it, query by query,
 * and runs one connection's transaction to its end before the others' queries, so a pool of several
 * connections works (serialised). In memory: it lives as long as the returned server.
 */
export async function startPgvectorServer(maxConnections = 16): Promise<PgvectorServer> {
  const db = await PGlite.create({ extensions: { vector } });
  const server = new PGLiteSocketServer({ db, port: 0, host: '127.0.0.1', maxConnections });
  await server.start();
  return {
    url: `postgres://postgres@${server.getServerConn()}/postgres`,
    stop: async () => {
      await server.stop();
      await db.close();
    },
  };
}
