/** One pair of LFW's "View 2" protocol: two images (relative to the image folder) and whether they show one person. */
export interface LfwPair {
  /** 1-based fold number. */
  fold: number;
  a: string;
  b: string;
  same: boolean;
}

export class LfwPairsFormatError extends Error {}

/** `Name/Name_%04d.jpg`, the layout of every LFW image folder (lfw, lfw-deepfunneled, …). */
export function lfwImagePath(name: string, index: number): string {
  return `${name}/${name}_${String(index).padStart(4, '0')}.jpg`;
}

/**
 * Parses LFW's `pairs.txt`: a header `folds n`, then per fold n matched lines `Name i j` followed by
 * n mismatched lines `Name1 i Name2 j` (fields separated by tabs or spaces). Anything else — a line
 * with the wrong shape for its position, a non-positive index, missing or extra lines — throws with
 * the 1-based line number.
 */
export function parseLfwPairs(text: string): LfwPair[] {
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
  const fail = (lineNumber: number, message: string): never => {
    throw new LfwPairsFormatError(`pairs.txt line ${lineNumber}: ${message}`);
  };
  if (lines.length === 0) fail(1, 'the file is empty; expected a header such as "10 300"');
  const header = lines[0].trim().split(/\s+/);
  if (header.length !== 2 || !header.every((h) => /^[1-9]\d*$/.test(h))) {
    fail(1, `expected a header "<folds> <pairs per class>" such as "10 300", got ${JSON.stringify(lines[0])}`);
  }
  const [folds, perClass] = header.map(Number);
  const expected = 1 + folds * 2 * perClass;
  if (lines.length !== expected) {
    fail(
      Math.min(lines.length, expected) + 1, // the first missing or extra line
      `the header promises ${folds} folds × 2 × ${perClass} pairs (${expected} lines with the header), the file has ${lines.length} lines`,
    );
  }
  const pairs: LfwPair[] = [];
  for (let i = 1; i < lines.length; i++) {
    const lineNumber = i + 1;
    const fold = Math.floor((i - 1) / (2 * perClass)) + 1;
    const same = (i - 1) % (2 * perClass) < perClass;
    const fields = lines[i].trim().split(/\s+/);
    const index = (field: string): number => {
      if (!/^[1-9]\d*$/.test(field)) fail(lineNumber, `image number ${JSON.stringify(field)} is not a positive integer`);
      return Number(field);
    };
    if (same) {
      if (fields.length !== 3) {
        fail(lineNumber, `fold ${fold} expects a matched pair "Name i j" here, got ${JSON.stringify(lines[i])}`);
      }
      const [name, i1, i2] = fields;
      pairs.push({ fold, a: lfwImagePath(name, index(i1)), b: lfwImagePath(name, index(i2)), same: true });
    } else {
      if (fields.length !== 4) {
        fail(lineNumber, `fold ${fold} expects a mismatched pair "Name1 i Name2 j" here, got ${JSON.stringify(lines[i])}`);
      }
      const [name1, i1, name2, i2] = fields;
      pairs.push({ fold, a: lfwImagePath(name1, index(i1)), b: lfwImagePath(name2, index(i2)), same: false });
    }
  }
  return pairs;
}
