import { resolveThreshold } from './decision-threshold.js';

const calibration = {
  squaredDistance: 1.19,
  far: 0.0001,
  source: 'test',
  falseAcceptRates: {
    '0.01': { squaredDistance: 1.5, tar: 0.99 },
    '0.001': { squaredDistance: 1.33, tar: 0.98 },
    '0.0001': { squaredDistance: 1.19, tar: 0.96 },
  },
};

describe('resolveThreshold', () => {
  it('uses a raw threshold as given', () => {
    expect(resolveThreshold(calibration, { threshold: 0.9, far: 0.01 }, 0.0001)).toEqual({ squaredDistance: 0.9, far: null });
  });

  it('maps a calibrated FAR to its threshold', () => {
    expect(resolveThreshold(calibration, { far: 0.001 }, 0.0001)).toEqual({ squaredDistance: 1.33, far: 0.001 });
  });

  it('rounds a FAR between calibrated rates down to the stricter one', () => {
    expect(resolveThreshold(calibration, { far: 0.005 }, 0.0001)).toEqual({ squaredDistance: 1.33, far: 0.001 });
    expect(resolveThreshold(calibration, { far: 0.5 }, 0.0001)).toEqual({ squaredDistance: 1.5, far: 0.01 });
  });

  it('uses the default FAR when neither is given', () => {
    expect(resolveThreshold(calibration, {}, 0.001)).toEqual({ squaredDistance: 1.33, far: 0.001 });
  });

  it('refuses a FAR stricter than any calibration, with the calibrated rates', () => {
    expect(() => resolveThreshold(calibration, { far: 0.00001 }, 0.0001)).toThrow(/smallest calibrated/);
  });

  it('falls back to the manifest threshold when the model has no FAR table', () => {
    expect(resolveThreshold({ squaredDistance: 1.2, source: 'x' }, { far: 0.01 }, 0.0001)).toEqual({ squaredDistance: 1.2, far: null });
  });
});
