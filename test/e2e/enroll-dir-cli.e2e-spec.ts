import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBuiltScript } from '../support/built-script.js';
import { londonPhoto, MANIFEST_DIR, MODEL_DIR } from '../support/shared-data.js';
import { createTestDatabase, queryDatabase, rowCounts } from '../support/test-app.js';
import { noFaceJpeg, twoFacesJpeg } from './bad-images.js';

/**
 * `npm run cli -- enroll-dir` as a user runs it (the build output; `npm test` builds first), on a
 * small LFW-layout tree of London Set photos (folder = identity) with three photos it must refuse.
 */
describe('enroll-dir (end to end)', () => {
  let dir: string;
  let databaseUrl: string;
  let env: NodeJS.ProcessEnv;
  const enrollDir = (...flags: string[]) =>
    runBuiltScript('dist/apps/cli/src/main.js', ['enroll-dir', '--gallery', 'people', '--dir', dir, ...flags], env);
  const sha256 = async (path: string) => createHash('sha256').update(await readFile(path)).digest('hex');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'enroll-dir-'));
    const put = async (folder: string, name: string, bytes: Buffer | string) => {
      await mkdir(join(dir, folder), { recursive: true });
      await writeFile(join(dir, folder, name), bytes);
    };
    await put('person-001', 'neutral.jpg', await readFile(londonPhoto('neutral_front', 1)));
    await put('person-001', 'smiling.jpg', await readFile(londonPhoto('smiling_front', 1)));
    await put('person-002', 'neutral.jpg', await readFile(londonPhoto('neutral_front', 2)));
    await put('person-002', 'notes.txt', 'not a photo: left out');
    await put('broken', 'truncated.jpg', (await readFile(londonPhoto('neutral_front', 3))).subarray(0, 2000));
    await put('nobody', 'gradient.jpg', await noFaceJpeg());
    await put('couple', 'two.jpg', await twoFacesJpeg(londonPhoto('neutral_front', 4), londonPhoto('neutral_front', 5)));
    databaseUrl = await createTestDatabase('e2e_enroll_dir');
    // No index snapshots: they would land in ./data.
    env = {
      PATH: process.env.PATH, DATABASE_URL: databaseUrl, MODEL_DIR, MODEL_MANIFEST_DIR: MANIFEST_DIR, ORT_INTRA_OP_THREADS: '1', LOG_LEVEL: 'warn',
      INDEX_SNAPSHOT_INTERVAL_SECONDS: '0',
    };
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('enrolls the good photos by folder, counts the refused ones by code, and a rerun skips everything', async () => {
    const first = await enrollDir('--json');
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/enroll-dir: 6\/6 images: 3 enrolled, 0 skipped, 3 rejected/);
    const summary = JSON.parse(first.stdout.trim());
    expect(summary).toMatchObject({
      gallery: { name: 'people', created: true },
      images: 6, enrolled: 3, skipped: 0, rejected: 3,
      rejectedByCode: { INVALID_IMAGE: 1, NO_FACE: 1, MULTIPLE_FACES: 1 },
    });
    expect(summary.rejectedExamples.NO_FACE).toEqual([{ path: join(dir, 'nobody', 'gradient.jpg'), message: expect.any(String) }]);
    const enrolled = await queryDatabase(
      databaseUrl,
      'SELECT i.external_id AS "externalId", f.source_sha256 AS "sha256" FROM faces f JOIN identities i ON i.id = f.identity_id',
    );
    expect(enrolled).toHaveLength(3);
    expect(enrolled).toEqual(expect.arrayContaining([
      { externalId: 'person-001', sha256: await sha256(londonPhoto('neutral_front', 1)) },
      { externalId: 'person-001', sha256: await sha256(londonPhoto('smiling_front', 1)) },
      { externalId: 'person-002', sha256: await sha256(londonPhoto('neutral_front', 2)) },
    ]));

    const counts = await rowCounts(databaseUrl);
    const rerun = await enrollDir();
    expect(rerun.code).toBe(0);
    expect(rerun.stdout).toMatch(/^Gallery "people" \([0-9a-f-]{36}\): 6 images\n {2}enrolled 0, skipped 3 \(already enrolled\), rejected 3 \(/);
    expect(await rowCounts(databaseUrl)).toEqual(counts);
  });

  it('--largest-face enrolls the largest face of a group photo; --limit takes the first images in path order', async () => {
    const largest = JSON.parse((await enrollDir('--largest-face', '--json')).stdout.trim());
    expect(largest).toMatchObject({ enrolled: 1, skipped: 3, rejected: 2, rejectedByCode: { INVALID_IMAGE: 1, NO_FACE: 1 } });
    // Path order: broken/, couple/, nobody/, person-001/ …
    const limited = JSON.parse((await enrollDir('--limit', '2', '--json')).stdout.trim());
    expect(limited).toMatchObject({ images: 2, enrolled: 0, skipped: 1, rejected: 1, rejectedByCode: { INVALID_IMAGE: 1 } });
  });

  it('refuses missing flags and an empty folder with one line and exit code 2', async () => {
    const missing = await runBuiltScript('dist/apps/cli/src/main.js', ['enroll-dir', '--gallery', 'people'], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^--gallery NAME and --dir PATH are required\n\nUsage: npm run cli -- enroll-dir --gallery NAME --dir PATH/);
    const empty = await mkdtemp(join(tmpdir(), 'enroll-dir-empty-'));
    const none = await runBuiltScript('dist/apps/cli/src/main.js', ['enroll-dir', '--gallery', 'people', '--dir', empty], env);
    await rm(empty, { recursive: true });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/No image files under/);
  });
});
