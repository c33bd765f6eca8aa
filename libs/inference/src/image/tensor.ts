import { RgbImage } from './rgb-image.js';
import { TensorInputSpec } from '../model.manifest.js';

/**
 * Writes `image` into `target` (NCHW float32) at batch slot `slot`, converting colour order and
 * normalising as `((pixel · scale) − mean) / std`. A `tensorWidth/Height` larger than the image
 * leaves the rest zero (bottom/right padding); `mirror` flips horizontally.
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
  // Channel c of the tensor reads source channel order[c] (RGB → [0,1,2], BGR → [2,1,0]).
  const order = spec.colorOrder === 'RGB' ? [0, 1, 2] : [2, 1, 0];
  // mean/std are listed in tensor channel order.
  const mul = [0, 1, 2].map((c) => spec.scale / spec.std[c]);
  const add = [0, 1, 2].map((c) => -spec.mean[c] / spec.std[c]);
  const { data, width, height } = image;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const sx = mirror ? width - 1 - x : x;
      const s = (y * width + sx) * 3;
      const t = base + y * tensorWidth + x;
      for (let c = 0; c < 3; c++) target[t + c * plane] = data[s + order[c]] * mul[c] + add[c];
    }
  }
}
