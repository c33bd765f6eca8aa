// Embedding storage in Postgres before and after 1764800000000-Int8Embeddings: N synthetic 128-D
// faces (SyntheticFaces) stored as real[] in the old schema, measured, converted by the migration
// (timed: that is the upgrade's cost), measured again. Sizes are after VACUUM FULL; "table" includes
// the embeddings table's indexes (primary key, model/id, face/model unique) and TOAST.
//
// Prints one JSON object on stdout; progress goes to stderr.
//
//   npm run -s bench:storage [-- --faces 100000 --seed 7]
//
// Postgres: an embedded server in a fresh temporary directory (BENCH_DIR, default the OS temp dir), deleted afterwards.
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '../libs/database/src/index.js';
import { SyntheticFaces } from '../libs/vector-index/src/synthetic-faces.js';
import { info, parseIntegerFlags } from './bench.util.js';
import { embeddingStorage, insertFloatEmbeddings, legacyDataSource } from './legacy-embeddings.js';
import { freePort } from './server-process.js';

const DEFAULTS = { faces: 100_000, seed: 7 };

async function main(): Promise<void> {
  const flags = parseIntegerFlags(process.argv.slice(2), DEFAULTS);
  // Not mkdtemp: its 0700 directory would shut out the postgres user created when running as root.
  const workDir = join(process.env.BENCH_DIR ?? os.tmpdir(), `facerec-storage-bench-${randomBytes(6).toString('hex')}`);
  await mkdir(workDir, { recursive: true });
  const postgres = await startEmbeddedPostgres({ dataDir: join(workDir, 'postgres'), port: await freePort(), log: info });
  try {
    let db = await legacyDataSource(postgres.url).initialize();
    await db.runMigrations({ transaction: 'each' });
    const synthetic = new SyntheticFaces(128, Math.ceil(flags.faces / 5), flags.seed);
    info(`storing ${flags.faces} float32 embeddings…`);
    await insertFloatEmbeddings(db, Array.from({ length: flags.faces }, (_, i) => synthetic.sample(i % synthetic.centres.length)));
    const float32 = await embeddingStorage(db, 'pg_column_size(vector)');
    await db.destroy();

    info('migrating to int8…');
    db = await legacyDataSource(postgres.url, { upToInt8: true }).initialize();
    const started = performance.now();
    await db.runMigrations({ transaction: 'each' });
    const migrationSeconds = Number(((performance.now() - started) / 1000).toFixed(1));
    const int8 = await embeddingStorage(db, 'pg_column_size(codes) + pg_column_size(scale)');
    await db.destroy();

    process.stdout.write(`${JSON.stringify({
      faces: flags.faces,
      seed: flags.seed,
      bytesPerFace: { float32: { vector: float32.vectorBytes, table: float32.tableBytes }, int8: { vector: int8.vectorBytes, table: int8.tableBytes } },
      tableRatio: Number((int8.tableBytes / float32.tableBytes).toFixed(3)),
      migrationSeconds,
      machine: { cpus: os.cpus().length, loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))), node: process.version },
    }, null, 2)}\n`);
  } finally {
    await postgres.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
