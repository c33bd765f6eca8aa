import { openSetMetrics, splitForIdentification } from './open-set-identification.js';

describe('open-set identification protocol', () => {
  it('enrolls the first face of identities with two or more, probes with the rest and the singles', () => {
    const faces = ['a1', 'b1', 'a2', 'c1', 'a3', 'b2'].map((name) => ({ identity: name[0], embedding: name }));
    const split = splitForIdentification(faces);
    expect(split.gallery.map((f) => f.embedding)).toEqual(['a1', 'b1']);
    expect(split.mated.map((f) => f.embedding).sort()).toEqual(['a2', 'a3', 'b2']);
    expect(split.nonMated.map((f) => f.embedding)).toEqual(['c1']);
  });

  it('computes rank-1, DIR at FPIR and rates at fixed thresholds', () => {
    const mated = [
      { truth: 'a', top: { identity: 'a', distance: 0.2 } },
      { truth: 'a', top: { identity: 'a', distance: 0.9 } },
      { truth: 'b', top: { identity: 'c', distance: 0.3 } }, // wrong identity: never counts as detected
      { truth: 'b', top: { identity: 'b', distance: 0.5 } },
    ];
    const nonMated = [0.4, 0.8, 1.0, 1.2].map((distance) => ({ identity: 'x', distance }));
    const result = openSetMetrics(mated, nonMated, [0.25, 0], [0.6]);
    expect(result.rank1).toBe(0.75);
    // FPIR 0.25 → accept 1 of 4 impostors: threshold between 0.4 and 0.8 → a(0.2) and b(0.5) detected.
    expect(result.dirAtFpir['0.25'].threshold).toBeCloseTo(0.6, 12);
    expect(result.dirAtFpir['0.25'].dir).toBe(0.5);
    // FPIR 0 → below the closest impostor (0.4): only a(0.2).
    expect(result.dirAtFpir['0']).toEqual({ threshold: 0.2, dir: 0.25 });
    expect(result.atThresholds).toEqual([{ threshold: 0.6, dir: 0.5, fpir: 0.25 }]);
  });
});
