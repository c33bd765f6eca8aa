import { writeNchw } from './tensor.js';

describe('writeNchw', () => {
  // 2×1 image: pixel 0 = (10, 20, 30), pixel 1 = (40, 50, 60).
  const image = { width: 2, height: 1, data: Uint8Array.from([10, 20, 30, 40, 50, 60]) };

  it('normalises RGB per tensor channel into planes', () => {
    const target = new Float32Array(6);
    writeNchw(image, { name: 'x', colorOrder: 'RGB', scale: 0.5, mean: [1, 2, 3], std: [1, 2, 4] }, target, 0, 2, 1);
    expect(Array.from(target)).toEqual([(5 - 1) / 1, (20 - 1) / 1, (10 - 2) / 2, (25 - 2) / 2, (15 - 3) / 4, (30 - 3) / 4]);
  });

  it('swaps to BGR, mirrors, pads and writes into the requested batch slot', () => {
    const target = new Float32Array(2 * 3 * 3 * 1).fill(-1);
    writeNchw(image, { name: 'x', colorOrder: 'BGR', scale: 1, mean: [0, 0, 0], std: [1, 1, 1] }, target, 1, 3, 1, true);
    // Slot 0 untouched; slot 1: planes B, G, R of the mirrored row, third column left as it was.
    expect(Array.from(target.subarray(0, 9))).toEqual(new Array(9).fill(-1));
    expect(Array.from(target.subarray(9))).toEqual([60, 30, -1, 50, 20, -1, 40, 10, -1]);
  });
});
