export interface LabelledFace<T = Float32Array> {
  identity: string;
  embedding: T;
}

export interface IdentificationSplit<T = Float32Array> {
  /** One face of every identity that has two or more. */
  gallery: LabelledFace<T>[];
  /** The other faces of gallery identities. */
  mated: LabelledFace<T>[];
  /** Faces of identities with a single face: never enrolled. */
  nonMated: LabelledFace<T>[];
}

/**
 * The open-set split used for LFW identification: enroll the first face (input order) of every
 * identity with at least two faces; probe with their remaining faces (mated) and with every face of
 * single-face identities (non-mated, who must come back unknown).
 */
export function splitForIdentification<T>(faces: readonly LabelledFace<T>[]): IdentificationSplit<T> {
  const byIdentity = new Map<string, LabelledFace<T>[]>();
  for (const face of faces) {
    const list = byIdentity.get(face.identity);
    if (list) list.push(face);
    else byIdentity.set(face.identity, [face]);
  }
  const split: IdentificationSplit<T> = { gallery: [], mated: [], nonMated: [] };
  for (const list of byIdentity.values()) {
    if (list.length === 1) split.nonMated.push(list[0]);
    else {
      split.gallery.push(list[0]);
      split.mated.push(...list.slice(1));
    }
  }
  return split;
}

/** The best gallery identity for one probe (rank 1), by squared distance. */
export interface TopMatch {
  identity: string;
  distance: number;
}

export interface OpenSetResult {
  matedProbes: number;
  nonMatedProbes: number;
  /** Closed-set rank-1 identification rate over mated probes. */
  rank1: number;
  /**
   * Per false-positive identification rate (share of non-mated probes whose best match passes the
   * threshold): the threshold, and the detection-and-identification rate (share of mated probes
   * whose best match is the right identity and passes it).
   */
  dirAtFpir: Record<string, { threshold: number; dir: number }>;
  /** DIR and FPIR at given thresholds (e.g. the platform's calibrated ones). */
  atThresholds: { threshold: number; dir: number; fpir: number }[];
}

export function openSetMetrics(
  mated: readonly { truth: string; top: TopMatch }[],
  nonMated: readonly TopMatch[],
  fpirs: readonly number[],
  thresholds: readonly number[] = [],
): OpenSetResult {
  const correct = mated.filter((m) => m.top.identity === m.truth);
  const impostorDistances = nonMated.map((t) => t.distance).sort((a, b) => a - b);
  const rates = (threshold: number) => ({
    threshold,
    dir: correct.filter((m) => m.top.distance <= threshold).length / Math.max(1, mated.length),
    fpir: impostorDistances.filter((d) => d <= threshold).length / Math.max(1, impostorDistances.length),
  });
  const dirAtFpir: OpenSetResult['dirAtFpir'] = {};
  for (const fpir of fpirs) {
    // Accept at most floor(fpir · n) non-mated probes: halfway below the next one.
    const k = Math.floor(fpir * impostorDistances.length);
    const threshold =
      impostorDistances.length === 0 ? Infinity
      : k === 0 ? impostorDistances[0] / 2
      : k >= impostorDistances.length ? impostorDistances[impostorDistances.length - 1]
      : (impostorDistances[k - 1] + impostorDistances[k]) / 2;
    const { dir } = rates(threshold);
    dirAtFpir[String(fpir)] = { threshold, dir };
  }
  return {
    matedProbes: mated.length,
    nonMatedProbes: nonMated.length,
    rank1: correct.length / Math.max(1, mated.length),
    dirAtFpir,
    atThresholds: thresholds.map(rates),
  };
}
