import { dot, squaredDistanceFromCosine } from '../../common/src/index.js';

/** Bounded max-heap keeping the `capacity` smallest values seen. */
class SmallestValues {
  private readonly heap: Float64Array;
  size = 0;

  constructor(readonly capacity: number) {
    this.heap = new Float64Array(capacity);
  }

  offer(value: number): void {
    const h = this.heap;
    if (this.size < this.capacity) {
      let i = this.size++;
      h[i] = value;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (h[parent] >= h[i]) break;
        [h[parent], h[i]] = [h[i], h[parent]];
        i = parent;
      }
    } else if (this.capacity > 0 && value < h[0]) {
      h[0] = value;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let largest = i;
        if (l < this.size && h[l] > h[largest]) largest = l;
        if (r < this.size && h[r] > h[largest]) largest = r;
        if (largest === i) break;
        [h[largest], h[i]] = [h[i], h[largest]];
        i = largest;
      }
    }
  }

  sorted(): Float64Array {
    return this.heap.slice(0, this.size).sort();
  }
}

export interface LabelledEmbedding {
  identity: string;
  embedding: Float32Array;
}

export interface FarThreshold {
  far: number;
  /** Largest threshold whose false-accept rate on the impostor pairs is at most `far`. */
  threshold: number;
  /** Fraction of genuine pairs accepted at that threshold. */
  tar: number;
}

export interface FarCalibration {
  impostorPairs: number;
  genuinePairs: number;
  thresholds: FarThreshold[];
}

/**
 * Thresholds for target false-accept rates from every cross-identity pair of a labelled set
 * (millions of impostors from a few thousand faces), with the true-accept rate over every
 * same-identity pair. The k smallest impostor distances are kept (k = far · pairs); the threshold
 * sits halfway between the k-th and the next, so exactly k impostors are accepted.
 */
export function calibrateFalseAcceptRates(faces: readonly LabelledEmbedding[], fars: readonly number[]): FarCalibration {
  const n = faces.length;
  const genuine: number[] = [];
  let impostorPairs = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) if (faces[i].identity !== faces[j].identity) impostorPairs++;
  }
  const keep = Math.min(impostorPairs, Math.floor(Math.max(...fars) * impostorPairs) + 1);
  const smallest = new SmallestValues(keep);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const distance = squaredDistanceFromCosine(dot(faces[i].embedding, faces[j].embedding));
      if (faces[i].identity === faces[j].identity) genuine.push(distance);
      else smallest.offer(distance);
    }
  }
  const impostors = smallest.sorted();
  const thresholds = fars.map((far) => {
    const k = Math.floor(far * impostorPairs);
    const threshold = k === 0 ? impostors[0] / 2 : k >= impostors.length ? impostors[impostors.length - 1] : (impostors[k - 1] + impostors[k]) / 2;
    return { far, threshold, tar: genuine.filter((d) => d <= threshold).length / Math.max(1, genuine.length) };
  });
  return { impostorPairs, genuinePairs: genuine.length, thresholds };
}
