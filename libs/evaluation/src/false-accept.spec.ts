import { calibrateFalseAcceptRates } from './false-accept.js';

/** Unit vectors in 2-D at the given angles (degrees): cosine = cos(angle difference). */
const at = (identity: string, degrees: number) => ({
  identity,
  embedding: Float32Array.from([Math.cos((degrees * Math.PI) / 180), Math.sin((degrees * Math.PI) / 180)]),
});

describe('false-accept calibration', () => {
  it('accepts exactly far · pairs impostors and reports the genuine acceptance there', () => {
    // a: 0°, 10°; b: 40°, 45°; c: 120°. Genuine pairs: a–a (10°), b–b (5°). Impostors: 8 pairs.
    const faces = [at('a', 0), at('a', 10), at('b', 40), at('b', 45), at('c', 120)];
    const result = calibrateFalseAcceptRates(faces, [0.25, 0.125]);
    expect(result).toMatchObject({ impostorPairs: 8, genuinePairs: 2 });
    const d = (deg: number) => 2 - 2 * Math.cos((deg * Math.PI) / 180);
    // Impostor angles sorted: 30 (a10–b40), 35 (a10–b45), 40, 45, 75, 80, 110, 120.
    const [quarter, eighth] = result.thresholds;
    expect(quarter.threshold).toBeCloseTo((d(35) + d(40)) / 2, 5); // 2 of 8 accepted
    expect(eighth.threshold).toBeCloseTo((d(30) + d(35)) / 2, 5); // 1 of 8 accepted
    expect(quarter.tar).toBe(1);
    expect(eighth.tar).toBe(1);
  });

  it('sets the threshold below every impostor when the rate allows none', () => {
    const faces = [at('a', 0), at('a', 60), at('b', 20)];
    const [none] = calibrateFalseAcceptRates(faces, [0.1]).thresholds;
    // Impostors: 20° and 40°; genuine 60° is farther than both, so nothing genuine passes either.
    expect(none.threshold).toBeLessThan(2 - 2 * Math.cos((20 * Math.PI) / 180));
    expect(none.tar).toBe(0);
  });
});
