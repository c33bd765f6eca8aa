import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { runBuiltScript } from '../support/built-script.js';
import { DATASET_DIR, londonPeople, londonPhoto, sharedPath } from '../support/shared-data.js';

/**
 * `npm run eval -- pairs` as a user runs it (the build output; `npm test` builds first), on a small
 * dataset of London Set photos from ../shared/datasets/london: 10 folds × (2 same-person pairs,
 * neutral vs smiling, and 2 different-people pairs).
 */
const runEval = (args: string[]) => runBuiltScript('dist/apps/cli/src/eval.js', args);

describe('eval pairs (end to end, London Set)', () => {
  let dir: string;
  let tsv: string;
  const londonDir = sharedPath(DATASET_DIR, 'london');
  const relative = (path: string) => path.slice(londonDir.length + 1);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eval-pairs-'));
    const people = londonPeople().slice(0, 20);
    const lines = ['# pathA\tpathB\tsame\tfold'];
    for (let fold = 1; fold <= 10; fold++) {
      const [p, q] = people.slice(2 * fold - 2, 2 * fold);
      const neutral = (id: string) => relative(londonPhoto('neutral_front', id));
      const smiling = (id: string) => relative(londonPhoto('smiling_front', id));
      lines.push(
        `${neutral(p)}\t${smiling(p)}\t1\t${fold}`,
        `${neutral(q)}\t${smiling(q)}\t1\t${fold}`,
        `${neutral(p)}\t${smiling(q)}\t0\t${fold}`,
        `${smiling(p)}\t${neutral(q)}\t0\t${fold}`,
      );
    }
    tsv = join(dir, 'london.tsv');
    await writeFile(tsv, `${lines.join('\n')}\n`);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const args = () => ['pairs', '--pairs', tsv, '--root', londonDir, '--json', '--out', join(dir, 'out'), '--cache', join(dir, 'cache')];

  it('reports the protocol as one JSON line, writes the ROC plot, and answers a rerun from the cache', async () => {
    const first = await runEval(args());
    expect(first.stderr).toMatch(/eval: 40\/40 images \(0 cached\)/);
    expect(first.code).toBe(0);
    const lines = first.stdout.trim().split('\n');
    expect(lines).toHaveLength(1); // logs and progress go to stderr
    const report = JSON.parse(lines[0]);
    expect(Object.keys(report)).toEqual(['accuracy', 'stdErr', 'auc', 'valAtFar', 'undetected', 'pairs', 'model', 'foldThresholds', 'rocPng', 'embeddings']);
    expect(report).toMatchObject({ pairs: 40, undetected: 0, model: 'mobilefacenet-128', embeddings: 'float32', rocPng: join(dir, 'out', 'london-roc-mobilefacenet-128.png') });
    expect(report.accuracy).toBeGreaterThanOrEqual(0.9);
    expect(report.auc).toBeGreaterThanOrEqual(0.9);
    expect(Object.keys(report.valAtFar)).toEqual(['0.01', '0.001']);
    expect(report.foldThresholds).toHaveLength(10);
    expect(await sharp(report.rocPng).metadata()).toMatchObject({ format: 'png', width: 800, height: 600 });

    const second = await runEval(args());
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(/eval: 40\/40 images \(40 cached\)/);
    expect(JSON.parse(second.stdout.trim())).toEqual(report);
  });

  it('prints a summary without --json', async () => {
    const { code, stdout } = await runEval(args().filter((a) => a !== '--json'));
    expect(code).toBe(0);
    expect(stdout).toMatch(/^mobilefacenet-128 on london: 40 pairs, 40 images, 10 folds/);
    expect(stdout).toMatch(/accuracy +\d+\.\d\d% ± \d+\.\d\d%/);
    expect(stdout).toMatch(/VAL@FAR 0\.001/);
  });

  it('rejects a malformed line and a missing image with one line and exit code 2', async () => {
    const bad = join(dir, 'bad.tsv');
    await writeFile(bad, 'a.jpg\tb.jpg\t1\t1\na.jpg\tc.jpg\tmaybe\t2\n');
    const malformed = await runEval(['pairs', '--pairs', bad, '--no-cache']);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr.trim()).toBe(`eval pairs: ${bad} line 2: same must be 1 (same person) or 0 (different people), got "maybe"`);

    await writeFile(bad, 'a.jpg\tb.jpg\t1\t1\na.jpg\tc.jpg\t0\t2\n');
    const missing = await runEval(['pairs', '--pairs', bad, '--no-cache']);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toBe(`eval pairs: ${bad} line 1: ${join(dir, 'a.jpg')} does not exist`);
  });
});
