import { detectorInputSize } from './face.detector.js';

describe('detectorInputSize', () => {
  const options = { minSide: 512, maxSide: 640 };

  it('shrinks large photos to maxSide on their longest side', () => {
    expect(detectorInputSize({ width: 1280, height: 960 }, options)).toEqual({ scale: 0.5, width: 640, height: 480 });
  });

  it('enlarges small photos to minSide (finer landmarks), keeping the aspect ratio', () => {
    expect(detectorInputSize({ width: 250, height: 125 }, options)).toEqual({ scale: 2.048, width: 512, height: 256 });
  });

  it('leaves photos in between, and never enlarges when minSide is 0', () => {
    expect(detectorInputSize({ width: 600, height: 600 }, options)).toEqual({ scale: 1, width: 600, height: 600 });
    expect(detectorInputSize({ width: 250, height: 250 }, { minSide: 0, maxSide: 640 })).toEqual({ scale: 1, width: 250, height: 250 });
  });
});
