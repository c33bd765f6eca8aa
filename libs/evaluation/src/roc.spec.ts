import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { areaUnderCurve, renderRocPng, rocCurve, valAtFar } from './roc.js';

const pairs = (same: number[], different: number[]) => [
  ...same.map((distance) => ({ distance, same: true })),
  ...different.map((distance) => ({ distance, same: false })),
];

describe('ROC', () => {
  // Sorted: .1 s, .3 s, .4 d, .5 s, .6 d, .8 d, .9 s, 1.0 d.
  const scores = pairs([0.1, 0.3, 0.5, 0.9], [0.4, 0.6, 0.8, 1.0]);

  it('has one point per distinct distance, from (0, 0) to (1, 1)', () => {
    expect(rocCurve(scores).map((p) => [p.threshold, p.far, p.tar])).toEqual([
      [-Infinity, 0, 0], [0.1, 0, 0.25], [0.3, 0, 0.5], [0.4, 0.25, 0.5], [0.5, 0.25, 0.75],
      [0.6, 0.5, 0.75], [0.8, 0.75, 0.75], [0.9, 0.75, 1], [1.0, 1, 1],
    ]);
  });

  it('AUC is the share of (same, different) pairs ranked correctly', () => {
    // 12 of the 16 (same, different) pairs have the same-person pair closer.
    expect(areaUnderCurve(rocCurve(scores))).toBeCloseTo(12 / 16, 12);
    expect(areaUnderCurve(rocCurve(pairs([0.1, 0.2], [0.3, 0.4])))).toBe(1);
    expect(areaUnderCurve(rocCurve(pairs([0.5], [0.5])))).toBe(0.5); // a tie counts half
  });

  it('VAL@FAR takes the largest threshold whose FAR stays within the target', () => {
    const roc = rocCurve(scores);
    expect(valAtFar(roc, 0)).toEqual({ far: 0, val: 0.5, threshold: 0.3, actualFar: 0 });
    expect(valAtFar(roc, 0.25)).toEqual({ far: 0.25, val: 0.75, threshold: 0.5, actualFar: 0.25 });
    expect(valAtFar(roc, 0.7)).toEqual({ far: 0.7, val: 0.75, threshold: 0.6, actualFar: 0.5 });
    expect(valAtFar(roc, 1).val).toBe(1);
  });

  it('VAL@1e-3 of 3,000 impostors allows exactly 3 false accepts', () => {
    const different = Array.from({ length: 3000 }, (_, i) => 1 + i);
    const same = [0.5, 2.5, 3.5, 4.5]; // 2.5 passes 2 impostors, 3.5 passes 3, 4.5 passes 4
    const val = valAtFar(rocCurve(pairs(same, different)), 1e-3);
    expect(val).toMatchObject({ threshold: 3.5, val: 0.75 });
    expect(val.actualFar).toBeCloseTo(1e-3, 15);
  });

  it('needs both kinds of pairs', () => {
    expect(() => rocCurve(pairs([0.1], []))).toThrow(/same and different/);
  });
});

describe('renderRocPng', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'roc-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('writes a PNG of the requested size that decodes', async () => {
    const roc = rocCurve(pairs([0.1, 0.3, 0.5, 0.9], [0.4, 0.6, 0.8, 1.0]));
    const path = join(dir, 'sub', 'roc.png');
    await renderRocPng([{ label: 'model <a> & "b"', points: roc }, { label: 'other', points: rocCurve(pairs([0.1], [0.2])) }], path, {
      title: 'Test ROC', width: 640, height: 480,
    });
    const metadata = await sharp(path).metadata();
    expect(metadata).toMatchObject({ format: 'png', width: 640, height: 480 });
    const { channels, isOpaque } = await sharp(path).stats();
    expect(isOpaque).toBe(true);
    expect(channels[0].min).toBeLessThan(100); // something dark was drawn on the white background
  });

  it('defaults to 800×600', async () => {
    const path = join(dir, 'default.png');
    await renderRocPng([{ label: 'm', points: rocCurve(pairs([0.1, 0.2], [0.3, 0.4])) }], path);
    expect(await sharp(path).metadata()).toMatchObject({ format: 'png', width: 800, height: 600 });
  });
});
