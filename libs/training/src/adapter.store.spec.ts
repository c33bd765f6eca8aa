import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomMatrix } from '../../../test/support/random-matrix.js';
import { withResidualLayer } from './adapter-model.js';
import { Adapter, AdapterError, AdapterMethod, AdapterStore } from './adapter.store.js';

const adapter = (method: AdapterMethod, createdAt: string, to = 'old-model', residual = false): Adapter => {
  const map = { weights: randomMatrix(4, 3, createdAt.length), bias: Float64Array.from([0.1, -0.2, 1 / 3, Math.PI]) };
  return {
    id: AdapterStore.newId(method, 'new-model', to, new Date(createdAt)),
    from: 'new-model', to, method, seed: 1, createdAt, split: 'test faces', hyperparameters: { epochs: 2 },
    maps: [{ heldOutFold: 1, trainingFaces: 10, trainingIdentities: 5, metrics: { seconds: 0.5 }, model: residual ? withResidualLayer(map, 2, 9) : map }],
  };
};

describe('AdapterStore', () => {
  let dir: string;
  let store: AdapterStore;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'adapters-'));
    store = new AdapterStore(join(dir, 'adapters'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('saves an adapter as <id>.json and loads it back bit for bit, residual layer included', async () => {
    const saved = adapter('triplet', '2026-11-30T01:02:03.456Z', 'old-model', true);
    expect(saved.id).toBe('new-model-to-old-model.triplet.20261130T010203456Z');
    const path = await store.save(saved);
    expect(path).toBe(join(dir, 'adapters', `${saved.id}.json`));
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({ format: 'facerec-adapter/1', id: saved.id, method: 'triplet' });
    expect(await store.load(saved.id)).toEqual(saved);
  });

  it('finds the latest adapter between two models, of a method if asked', async () => {
    expect(await store.latest('new-model', 'old-model')).toBeUndefined();
    await store.save(adapter('procrustes', '2026-11-30T01:00:00.000Z'));
    await store.save(adapter('triplet', '2026-11-30T02:00:00.000Z'));
    await store.save(adapter('procrustes', '2026-11-30T03:00:00.000Z'));
    await store.save(adapter('triplet', '2026-11-30T04:00:00.000Z', 'other-model'));
    expect((await store.latest('new-model', 'old-model'))?.createdAt).toBe('2026-11-30T03:00:00.000Z');
    expect((await store.latest('new-model', 'old-model', 'triplet'))?.createdAt).toBe('2026-11-30T02:00:00.000Z');
    expect(await store.latest('new-model', 'old-model', 'least-squares')).toBeUndefined();
    expect((await store.list()).length).toBe(4);
  });

  it('refuses unknown ids, ids that leave the directory, and malformed files, with the reason', async () => {
    await expect(store.load('nothing-here')).rejects.toThrow(new AdapterError(`No adapter nothing-here in ${join(dir, 'adapters')}`));
    await expect(store.load('../escape')).rejects.toThrow(`Adapter ids are made of letters, digits, '.', '_' and '-'; got "../escape"`);
    const saved = adapter('procrustes', '2026-11-30T01:00:00.000Z');
    const path = await store.save(saved);
    const file = JSON.parse(await readFile(path, 'utf8'));
    file.maps[0].bias = Buffer.alloc(8).toString('base64');
    await writeFile(path, JSON.stringify(file));
    await expect(store.load(saved.id)).rejects.toThrow(`${path} is not a valid adapter file: map 0 holds 8 bytes of bias, 4 doubles need 32`);
    await writeFile(path, '{"format":"facerec-adapter/1"');
    await expect(store.load(saved.id)).rejects.toThrow(AdapterError);
  });
});
