import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { parseLfwPairs } from '../../libs/evaluation/src/lfw-pairs.js';
import { runBuiltScript } from '../support/built-script.js';
import { DATASET_DIR, sharedPath } from '../support/shared-data.js';

/**
 * `npm run train -- adapter` and `npm run eval -- lfw-cross` as a user runs them (the build output;
 * `npm test` builds first) on a small LFW: the first 4 matched and 4 mismatched pairs of every fold
 * of ../shared/datasets/lfw/pairs.txt and only their images, embedded by both shipped models (dlib's
 * ResNet built into a temporary folder by `models:build`).
 */
const PER_CLASS = 4;

describe('train adapter and eval lfw-cross (end to end, small LFW)', () => {
  let dir: string;
  let lfw: string;
  let env: NodeJS.ProcessEnv;
  let imagesByIdentity: Map<string, number>;
  let foldIdentities: Map<number, Set<string>>;
  const run = (script: 'train' | 'eval', args: string[]) => runBuiltScript(`dist/apps/cli/src/${script}.js`, args, env);
  const data = () => ['--lfw', lfw, '--cache', join(dir, 'cache')];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'adapter-cli-'));
    env = { ...process.env, GENERATED_MODEL_DIR: join(dir, 'models'), ADAPTER_DIR: join(dir, 'adapters') };
    const build = await runBuiltScript('dist/scripts/build-dlib-onnx.js', [], env);
    expect(build.code).toBe(0);

    const source = sharedPath(DATASET_DIR, 'lfw');
    const lines = (await readFile(join(source, 'pairs.txt'), 'utf8')).trim().split('\n');
    const [folds, perClass] = lines[0].trim().split(/\s+/).map(Number);
    const kept = [`${folds} ${PER_CLASS}`];
    for (let fold = 0; fold < folds; fold++) {
      const start = 1 + fold * 2 * perClass;
      kept.push(...lines.slice(start, start + PER_CLASS), ...lines.slice(start + perClass, start + perClass + PER_CLASS));
    }
    lfw = join(dir, 'lfw');
    await mkdir(lfw);
    await writeFile(join(lfw, 'pairs.txt'), `${kept.join('\n')}\n`);
    const pairs = parseLfwPairs(kept.join('\n'));
    const images = [...new Set(pairs.flatMap((p) => [p.a, p.b]))];
    for (const image of images) {
      await mkdir(dirname(join(lfw, 'lfw-deepfunneled', image)), { recursive: true });
      await copyFile(sharedPath(source, 'lfw-deepfunneled', image), join(lfw, 'lfw-deepfunneled', image));
    }
    const identity = (path: string) => path.split('/')[0];
    imagesByIdentity = new Map();
    for (const image of images) imagesByIdentity.set(identity(image), (imagesByIdentity.get(identity(image)) ?? 0) + 1);
    foldIdentities = new Map();
    for (const p of pairs) foldIdentities.set(p.fold, new Set([...(foldIdentities.get(p.fold) ?? []), identity(p.a), identity(p.b)]));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  let procrustesId: string;

  it('trains one map per held-out fold, each on the identities outside its fold, and saves it', async () => {
    const result = await run('train', ['adapter', '--from', 'mobilefacenet-128', '--to', 'dlib-resnet-128', '--method', 'procrustes', '--json', ...data()]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/train procrustes held-out fold 10 \(10\/10\): \d+ faces of \d+ identities/);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const report = JSON.parse(lines[0]);
    expect(report).toMatchObject({ from: 'mobilefacenet-128', to: 'dlib-resnet-128', method: 'procrustes', seed: 1 });
    expect(report.path).toBe(join(dir, 'adapters', `${report.id}.json`));
    expect(report.maps.map((m: { heldOutFold: number }) => m.heldOutFold)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (const map of report.maps) {
      const outside = [...imagesByIdentity].filter(([id]) => !foldIdentities.get(map.heldOutFold)!.has(id));
      expect(map.trainingIdentities).toBe(outside.length);
      expect(map.trainingFaces).toBe(outside.reduce((n, [, count]) => n + count, 0));
    }
    expect(await readdir(join(dir, 'adapters'))).toEqual([`${report.id}.json`]);
    procrustesId = report.id;
  });

  it('trains a single map on every image with --folds none, which the LFW evaluation refuses (and does not pick)', async () => {
    const result = await run('train', ['adapter', '--method', 'least-squares', '--folds', 'none', '--json', ...data()]);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout.trim());
    expect(report.maps).toEqual([expect.objectContaining({ heldOutFold: null, trainingFaces: [...imagesByIdentity.values()].reduce((a, b) => a + b, 0) })]);
    const refused = await run('eval', ['lfw-cross', '--adapter', report.id, ...data()]);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split('\n').at(-1)).toBe(
      `eval lfw-cross: Adapter ${report.id} has no map held out from fold 1, so it cannot be evaluated on LFW without training on the test pairs; train one with --folds all`,
    );
  });

  let first: Record<string, unknown>;

  it('reports A–A, B–B, B→A raw and adapted, training the missing triplet adapter first, and plots the ROC curves', async () => {
    const result = await run('eval', ['lfw-cross', '--json', '--out', join(dir, 'out'), ...data()]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/train triplet held-out fold 1 \(1\/10\): epoch 6\/6 loss \d\.\d+, semi-hard/);
    expect(result.stderr).not.toMatch(/train procrustes/); // the one trained above is reused
    const report = JSON.parse(result.stdout.trim());
    first = report;
    expect(Object.keys(report).slice(0, 5)).toEqual(['aa', 'bb', 'crossRaw', 'crossAdapted', 'compatible']);
    expect(report).toMatchObject({ gallery: 'dlib-resnet-128', query: 'mobilefacenet-128', pairs: 80, undetected: { gallery: 0, query: 0 } });
    expect(report.aa).toBeGreaterThanOrEqual(0.9);
    expect(report.bb).toBeGreaterThanOrEqual(0.9);
    expect(report.crossRaw).toBeLessThan(0.75); // unrelated spaces: near chance
    expect(report.adapters.procrustes.id).toBe(procrustesId);
    expect(Object.keys(report.adapters)).toEqual(['procrustes', 'triplet']); // not the --folds none least-squares one
    expect(report.adapter).toBe(report.adapters.triplet.id);
    expect(report.crossAdapted).toBe(report.adapters.triplet.accuracy);
    expect(report.crossAdapted).toBeGreaterThan(report.crossRaw + 0.1);
    expect(report.compatible).toBe(report.crossAdapted >= report.aa);
    expect(report.details.aa.foldAccuracies).toHaveLength(10);
    expect(report.rocPng).toBe(join(dir, 'out', 'lfw-cross-roc-mobilefacenet-128-to-dlib-resnet-128.png'));
    expect(await sharp(report.rocPng).metadata()).toMatchObject({ format: 'png', width: 800, height: 600 });
  });

  it('answers a rerun with the stored adapters and the same numbers, and a named adapter alone', async () => {
    const again = await run('eval', ['lfw-cross', '--json', '--out', join(dir, 'out'), ...data()]);
    expect(again.code).toBe(0);
    expect(again.stderr).not.toMatch(/^train /m);
    expect(JSON.parse(again.stdout.trim())).toEqual(first);

    const named = await run('eval', ['lfw-cross', '--adapter', procrustesId, '--out', join(dir, 'out'), ...data()]);
    expect(named.code).toBe(0);
    expect(named.stdout).toMatch(/^LFW across models: gallery A = dlib-resnet-128, query B = mobilefacenet-128, 80 pairs/);
    expect(named.stdout).toMatch(/B→A procrustes +\d+\.\d\d% ± \d+\.\d\d%/);
    expect(named.stdout).not.toMatch(/B→A triplet/);
  });

  it('refuses bad flags and missing or broken adapters with one line and exit code 2', async () => {
    const method = await run('train', ['adapter', '--method', 'magic', ...data()]);
    expect(method.code).toBe(2);
    expect(method.stderr.trim()).toBe('train adapter: --method must be one of procrustes, least-squares, triplet, got "magic"');

    const folds = await run('train', ['adapter', '--folds', '11', ...data()]);
    expect(folds.code).toBe(2);
    expect(folds.stderr.trim().split('\n').at(-1)).toBe('train adapter: --folds takes "all" or folds among 1,2,3,4,5,6,7,8,9,10; got 11');
    const word = await run('train', ['adapter', '--folds', 'some', ...data()]);
    expect(word.code).toBe(2);
    expect(word.stderr.trim()).toBe('train adapter: --folds takes "all", "none" or fold numbers such as 1,2; got "some"');

    const missing = await run('eval', ['lfw-cross', '--adapter', 'no-such-adapter', ...data()]);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split('\n').at(-1)).toBe(`eval lfw-cross: No adapter no-such-adapter in ${join(dir, 'adapters')}`);

    await writeFile(join(dir, 'adapters', 'broken.json'), '{"format":"facerec-adapter/1","id":"broken"}');
    const broken = await run('eval', ['lfw-cross', '--adapter', 'broken', ...data()]);
    expect(broken.code).toBe(2);
    expect(broken.stderr.trim().split('\n').at(-1)).toBe(`eval lfw-cross: ${join(dir, 'adapters', 'broken.json')} is not a valid adapter file: from is missing`);
  });
});
