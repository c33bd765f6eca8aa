// dlib's face chip (`get_face_chip_details(shape, size, padding)`, dlib/image_transforms/
// interpolation.h) expressed as a 5-point alignment template, so that embedders trained on dlib
// chips (dlib's ResNet face recogniser: 150 px, padding 0.25) can be fed by this platform's
// 5-point detector.
//
// dlib fits a similarity from the 68-point mean face below (landmarks 17–67, in a unit square) to
// the detected 68 landmarks, after mapping the mean face into the chip as
// `(padding + m) / (1 + 2·padding) · size`. It then samples chip pixel (0,0)…(size−1,size−1)
// across that same square, so a point at chip coordinate c lands on pixel c·(size−1)/size; the
// template is therefore `(padding + m) / (1 + 2·padding) · (size − 1)` in pixels.
//
// Our detector gives eye centres, nose tip and mouth corners rather than 68 points, so the
// template holds those five taken from the same mean face: each eye centre is the mean of its six
// contour points (36–41 on the image's left, 42–47), the nose tip is point 30, the mouth corners
// are points 48 and 54. For a face exactly at the mean shape both fits give the same chip; on real
// faces dlib weighs 33 points (nose, eyes, outer and inner mouth) where we weigh five.

/** x of dlib's mean face shape, landmarks 17..67 (dlib's `mean_face_shape_x`). */
const MEAN_FACE_X = [
  0.000213256, 0.0752622, 0.18113, 0.29077, 0.393397, 0.586856, 0.689483, 0.799124,
  0.904991, 0.98004, 0.490127, 0.490127, 0.490127, 0.490127, 0.36688, 0.426036,
  0.490127, 0.554217, 0.613373, 0.121737, 0.187122, 0.265825, 0.334606, 0.260918,
  0.182743, 0.645647, 0.714428, 0.793132, 0.858516, 0.79751, 0.719335, 0.254149,
  0.340985, 0.428858, 0.490127, 0.551395, 0.639268, 0.726104, 0.642159, 0.556721,
  0.490127, 0.423532, 0.338094, 0.290379, 0.428096, 0.490127, 0.552157, 0.689874,
  0.553364, 0.490127, 0.42689,
];

/** y of dlib's mean face shape, landmarks 17..67 (dlib's `mean_face_shape_y`). */
const MEAN_FACE_Y = [
  0.106454, 0.038915, 0.0187482, 0.0344891, 0.0773906, 0.0773906, 0.0344891,
  0.0187482, 0.038915, 0.106454, 0.203352, 0.307009, 0.409805, 0.515625, 0.587326,
  0.609345, 0.628106, 0.609345, 0.587326, 0.216423, 0.178758, 0.179852, 0.231733,
  0.245099, 0.244077, 0.231733, 0.179852, 0.178758, 0.216423, 0.244077, 0.245099,
  0.780233, 0.745405, 0.727388, 0.742578, 0.727388, 0.745405, 0.780233, 0.864805,
  0.902192, 0.909281, 0.902192, 0.864805, 0.784792, 0.778746, 0.785343, 0.778746,
  0.784792, 0.824182, 0.831803, 0.824182,
];

/** The 68-point landmarks (iBUG numbering) averaged into each of the detector's five points, in its order. */
const FIVE_POINTS_FROM_68 = [
  [36, 37, 38, 39, 40, 41], // eye on the image's left
  [42, 43, 44, 45, 46, 47], // eye on the image's right
  [30], // nose tip
  [48], // mouth corner on the image's left
  [54], // mouth corner on the image's right
];

/** The 5-point template, in pixels of a size×size chip, of dlib's face chip with this padding. */
export function dlibFaceChipTemplate(size: number, padding: number): [number, number][] {
  const toPixels = (m: number) => ((padding + m) / (1 + 2 * padding)) * (size - 1);
  return FIVE_POINTS_FROM_68.map((points) => {
    const mean = (coords: number[]) => points.reduce((sum, p) => sum + coords[p - 17], 0) / points.length;
    return [toPixels(mean(MEAN_FACE_X)), toPixels(mean(MEAN_FACE_Y))];
  });
}
