export interface Point {
  x: number;
  y: number;
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A face found by the detector, in the pixel coordinates of the upright source image. */
export interface DetectedFace {
  box: Box;
  /** Right eye, left eye, nose tip, right and left mouth corners (as seen in the image: first eye is on the image's left). */
  landmarks: Point[];
  score: number;
}
