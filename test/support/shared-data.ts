import { existsSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * Real models and photos live beside the repository in ../shared (see its READMEs); tests read them
 * from there, or from MODEL_DIR / DATASET_DIR. A missing path fails with the path to provide.
 */
export const MODEL_DIR = resolve(process.env.MODEL_DIR ?? '../shared/models');
/** Models this project builds (`npm run models:build`). */
export const GENERATED_MODEL_DIR = resolve(process.env.GENERATED_MODEL_DIR ?? 'data/models');
export const DATASET_DIR = resolve(process.env.DATASET_DIR ?? '../shared/datasets');
export const MANIFEST_DIR = resolve('models');

export function sharedPath(root: string, ...parts: string[]): string {
  const path = resolve(root, ...parts);
  if (!existsSync(path)) {
    throw new Error(
      `This test needs ${path}: the shared models and datasets (../shared beside the repository, ` +
        'or set MODEL_DIR / DATASET_DIR).',
    );
  }
  return path;
}

export type LondonSet = 'neutral_front' | 'smiling_front';

const LONDON_SUFFIX: Record<LondonSet, string> = { neutral_front: '03', smiling_front: '08' };

/** Ids ("001", "002", …) of the London people photographed both neutral and smiling (102 of them). */
export function londonPeople(): string[] {
  const ids = (set: LondonSet) => readdirSync(sharedPath(DATASET_DIR, 'london', set)).map((f) => f.split('_')[0]);
  const smiling = new Set(ids('smiling_front'));
  return ids('neutral_front').filter((id) => smiling.has(id)).sort();
}

export const londonPhoto = (set: LondonSet, person: string | number) =>
  sharedPath(DATASET_DIR, 'london', set, `${String(person).padStart(3, '0')}_${LONDON_SUFFIX[set]}.jpg`);

export const lisaPhoto = (n: number) => sharedPath(DATASET_DIR, 'london', 'lisa', `lisa${n}.jpg`);
