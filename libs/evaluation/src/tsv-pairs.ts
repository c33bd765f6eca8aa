import type { LfwPair } from './lfw-pairs.js';

export class TsvPairsFormatError extends Error {}

/** A verification pair of a user dataset, with the 1-based line it came from. */
export interface TsvPair extends LfwPair {
  line: number;
}

/**
 * Parses a pairs file `pathA<TAB>pathB<TAB>same<TAB>fold`: same is 1 or 0, fold 1..10 (the LFW
 * View 2 protocol on a user's own photos). Blank lines and lines starting with `#` are skipped.
 * Errors name the file and line; a file without pairs of both kinds in at least two folds cannot be
 * cross-validated and is rejected too.
 */
export function parseTsvPairs(text: string, source = 'pairs file'): TsvPair[] {
  const pairs: TsvPair[] = [];
  const fail = (line: number | undefined, message: string): never => {
    throw new TsvPairsFormatError(`${source}${line === undefined ? '' : ` line ${line}`}: ${message}`);
  };
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '' || raw.startsWith('#')) return;
    const fields = raw.split('\t');
    if (fields.length !== 4) fail(line, `expected 4 tab-separated fields "pathA<TAB>pathB<TAB>same<TAB>fold", got ${fields.length}: ${JSON.stringify(raw)}`);
    const [a, b, same, fold] = fields.map((f) => f.trim());
    if (a === '' || b === '') fail(line, 'an image path is empty');
    if (same !== '0' && same !== '1') fail(line, `same must be 1 (same person) or 0 (different people), got ${JSON.stringify(same)}`);
    if (!/^([1-9]|10)$/.test(fold)) fail(line, `fold must be an integer from 1 to 10, got ${JSON.stringify(fold)}`);
    pairs.push({ line, a, b, same: same === '1', fold: Number(fold) });
  });
  if (pairs.length === 0) fail(undefined, 'no pairs in the file');
  if (new Set(pairs.map((p) => p.fold)).size < 2) fail(undefined, `all pairs are in fold ${pairs[0].fold}; cross-validation needs at least 2 folds`);
  if (!pairs.some((p) => p.same) || pairs.every((p) => p.same)) {
    fail(undefined, `all pairs are ${pairs[0].same ? 'same-person (1)' : 'different-people (0)'}; both kinds are needed`);
  }
  return pairs;
}
