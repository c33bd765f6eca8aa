import { RgbImage } from '../image/rgb-image.js';
import { dlibFaceChipTemplate } from './dlib-face-chip.js';
import { archiveCrop, CropAlignment, FACE_ARCHIVE_ALIGNMENT, realignCrop } from './face-archive.js';
import { alignFace } from './similarity-transform.js';

const MOBILEFACENET: CropAlignment = {
  width: 112, height: 112,
  template: [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]],
};
const DLIB: CropAlignment = { width: 150, height: 150, template: dlibFaceChipTemplate(150, 0.25) };

/** A smooth, textured 640×480 "photo": every pixel distinct enough that a misplaced crop shows. */
function photo(): RgbImage {
  const width = 640, height = 480;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      data[o] = 128 + 100 * Math.sin(x / 9) * Math.cos(y / 13);
      data[o + 1] = 128 + 100 * Math.sin((x + y) / 17);
      data[o + 2] = (x * 7 + y * 3) % 256;
    }
  }
  return { width, height, data };
}

/** A tilted face, 90 px between the eyes, in the middle of the photo. */
const LANDMARKS = [{ x: 280, y: 200 }, { x: 368, y: 215 }, { x: 318, y: 262 }, { x: 284, y: 302 }, { x: 352, y: 312 }];

const meanAbsDifference = (a: RgbImage, b: RgbImage) => a.data.reduce((sum, v, i) => sum + Math.abs(v - b.data[i]), 0) / a.data.length;

describe('the archive crop kept of enrolled faces', () => {
  it('holds the whole crop of both shipped embedders, so either can be fed from it', () => {
    const archive = archiveCrop(photo(), LANDMARKS);
    expect([archive.width, archive.height]).toEqual([256, 256]);
    for (const target of [MOBILEFACENET, DLIB]) {
      expect(realignCrop(archive, FACE_ARCHIVE_ALIGNMENT, LANDMARKS, target).coverage).toBe(1);
    }
  });

  it('re-aligned for an embedder, gives the crop that direct alignment from the photo gives, up to resampling', () => {
    const image = photo();
    const archive = archiveCrop(image, LANDMARKS);
    for (const target of [MOBILEFACENET, DLIB]) {
      const direct = alignFace(image, LANDMARKS, target.template, target.width, target.height);
      const { crop } = realignCrop(archive, FACE_ARCHIVE_ALIGNMENT, LANDMARKS, target);
      expect(meanAbsDifference(crop, direct)).toBeLessThan(4);
      // A crop one pixel off is far from it: the comparison can fail.
      const shifted = alignFace(image, LANDMARKS.map((p) => ({ x: p.x + 2, y: p.y })), target.template, target.width, target.height);
      expect(meanAbsDifference(shifted, direct)).toBeGreaterThan(8);
    }
  });

  it('says how much of a target a narrower stored crop lacks: MobileFaceNet\'s own crop cannot feed dlib', () => {
    const stored = alignFace(photo(), LANDMARKS, MOBILEFACENET.template, MOBILEFACENET.width, MOBILEFACENET.height);
    const { coverage } = realignCrop(stored, MOBILEFACENET, LANDMARKS, DLIB);
    expect(coverage).toBeGreaterThan(0.5);
    expect(coverage).toBeLessThan(0.95);
  });
});
