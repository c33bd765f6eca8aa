import { withThreshold } from './calibrate-threshold.command.js';

describe('withThreshold (manifest rewrite)', () => {
  const manifest = `{
  "id": "m",
  "input": { "name": "x", "mean": [0, 0, 0] },
  "threshold": {
    "squaredDistance": 1,
    "falseAcceptRates": { "0.01": { "squaredDistance": 1.2, "tar": 0.99 } },
    "source": "old {braces} \\"quoted\\""
  }
}
`;

  it('replaces only the threshold member, nested objects included, keeping the rest of the layout', () => {
    const threshold = { squaredDistance: 0.9, source: 'new', far: 0.0001, falseAcceptRates: { '0.0001': { squaredDistance: 0.9, tar: 0.95 } } };
    const edited = withThreshold(manifest, threshold);
    expect(JSON.parse(edited).threshold).toEqual(threshold);
    expect(edited).toContain('"input": { "name": "x", "mean": [0, 0, 0] },');
    expect(edited.endsWith('}\n')).toBe(true);
    // Idempotent on its own output.
    expect(withThreshold(edited, threshold)).toBe(edited);
  });

  it('adds a threshold to a manifest that has none', () => {
    const edited = withThreshold('{ "id": "m" }', { squaredDistance: 1, source: 's' });
    expect(JSON.parse(edited)).toEqual({ id: 'm', threshold: { squaredDistance: 1, source: 's' } });
  });
});
