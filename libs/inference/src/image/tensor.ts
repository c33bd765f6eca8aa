import { RgbImage } from './rgb-image.js';
import { TensorInputSpec } from '../model.manifest.js';

/**
 * Writes `image` into `target` (NCHW float32) at batch slot `slot`, converting colour order and
 * normalising as `((pixel · scale) − mean) / std`. A `tensorWidth/Height` larger than the image
 * leaves the rest untouched (zero in a fresh tensor: bottom/right padding); `mirror` flips horizontally.
 */
export function writeNchw(
  image: RgbImage,
  spec: TensorInputSpec,
  target: Float32Array,
  slot: number,
  tensorWidth: number,
  tensorHeight: number,
  mirror = false,
): void {
  const plane = tensorWidth * tensorHeight;
  const base = slot * 3 * plane;
  // Tensor channel c reads source channel order[c] (RGB → 0,1,2; BGR → 2,1,0); mean/std are listed
  // in tensor channel order. Constants are hoisted: this loop runs once per pixel of every image.
  const [s0, s1, s2] = spec.colorOrder === 'RGB' ? [0, 1, 2] : [2, 1, 0];
  const m0 = spec.scale / spec.std[0], m1 = spec.scale / spec.std[1], m2 = spec.scale / spec.std[2];
  const a0 = -spec.mean[0] / spec.std[0], a1 = -spec.mean[1] / spec.std[1], a2 = -spec.mean[2] / spec.std[2];
  const { data, width, height } = image;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let t = base + y * tensorWidth;
    for (let x = 0; x < width; x++, t++) {
      const s = (row + (mirror ? width - 1 - x : x)) * 3;
      target[t] = data[s + s0] * m0 + a0;
      target[t + plane] = data[s + s1] * m1 + a1;
      target[t + 2 * plane] = data[s + s2] * m2 + a2;
    }
  }
}
