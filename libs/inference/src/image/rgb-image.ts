/** Decoded, upright, 8-bit interleaved RGB pixels. */
export interface RgbImage {
  width: number;
  height: number;
  /** width × height × 3 bytes, row-major. */
  data: Uint8Array;
}
