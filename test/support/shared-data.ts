import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * Real models and photos live beside the repository in ../shared (see its READMEs); tests read them
 * from there, or from MODEL_DIR / DATASET_DIR. A missing path fails with the path to provide.
 */
export const MODEL_DIR = resolve(process.env.MODEL_DIR ?? '../shared/models');
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

export const londonPhoto = (set: 'neutral_front' | 'smiling_front', person: number) =>
  sharedPath(DATASET_DIR, 'london', set, `${String(person).padStart(3, '0')}_${set === 'neutral_front' ? '03' : '08'}.jpg`);

export const lisaPhoto = (n: number) => sharedPath(DATASET_DIR, 'london', 'lisa', `lisa${n}.jpg`);
