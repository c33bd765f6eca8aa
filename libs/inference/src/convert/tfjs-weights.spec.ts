import { copyFile, mkdtemp, readFile, rm, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildDlibResnetOnnx, FACE_API_WEIGHTS_MANIFEST, faceApiWeightsManifest } from './dlib-resnet.converter.js';
import { readTfjsWeights, TfjsWeightsError } from './tfjs-weights.js';

const BIN = 'face_recognition_model.bin';

/** A copy of face-api's recognition weights in a temporary folder, to break. */
async function copyWeights(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tfjs-weights-'));
  await copyFile(faceApiWeightsManifest(), join(dir, FACE_API_WEIGHTS_MANIFEST));
  await copyFile(join(dirname(faceApiWeightsManifest()), BIN), join(dir, BIN));
  return dir;
}

describe('readTfjsWeights on broken or missing weights', () => {
  let dir: string;
  const manifest = () => join(dir, FACE_API_WEIGHTS_MANIFEST);
  const fails = (message: RegExp) => expect(readTfjsWeights(manifest())).rejects.toThrow(message);

  beforeEach(async () => {
    dir = await copyWeights();
  });

  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('reads the intact copy: 117 tensors, 5.6 M values', async () => {
    const { tensors } = await readTfjsWeights(manifest());
    expect(tensors.size).toBe(117);
    expect([...tensors.values()].reduce((n, t) => n + t.values.length, 0)).toBe(5_614_592);
  });

  it('names the manifest it cannot find', async () => {
    await unlink(manifest());
    await fails(/Cannot read the tfjs weights manifest .*face_recognition_model-weights_manifest\.json: ENOENT/);
    await expect(readTfjsWeights(manifest())).rejects.toBeInstanceOf(TfjsWeightsError);
  });

  it('refuses a manifest that is not JSON, or not a weights manifest', async () => {
    await writeFile(manifest(), '<html>404</html>');
    await fails(/Cannot read the tfjs weights manifest .*: Unexpected token/);
    await writeFile(manifest(), '{"weights": []}');
    await fails(/is not a tfjs weights manifest/);
  });

  it('names the weight file it cannot find', async () => {
    await unlink(join(dir, BIN));
    await fails(/Cannot read weight file .*face_recognition_model\.bin named by .*: ENOENT/);
  });

  it('refuses a truncated weight file, naming the tensor that runs past its end', async () => {
    await truncate(join(dir, BIN), 6_000_000);
    await fails(/conv256_down_out\/conv2\/conv\/filters needs bytes 5820672\.\.6410496, but the weight files end at 6000000: truncated/);
  });

  it('refuses a weight file longer than the manifest describes', async () => {
    await writeFile(join(dir, BIN), Buffer.concat([await readFile(join(dir, BIN)), Buffer.alloc(4)]));
    await fails(/hold 6444036 bytes, but the manifest describes 6444032: a truncated or foreign file/);
  });

  it('refuses quantisation it does not know rather than misreading the bytes', async () => {
    const groups = JSON.parse(await readFile(manifest(), 'utf8')) as Array<{ weights: Array<{ quantization?: { dtype: string } }> }>;
    groups[0].weights[0].quantization!.dtype = 'float16';
    await writeFile(manifest(), JSON.stringify(groups));
    await fails(/conv32_down\/conv\/filters is quantised as float16; only uint8 and uint16 quantisation are supported/);
  });
});

describe('buildDlibResnetOnnx on weights that do not fit the network', () => {
  it('names a missing tensor, a misshapen one, and one the network does not use', async () => {
    const weights = await readTfjsWeights(faceApiWeightsManifest());
    const fc = weights.tensors.get('fc')!;

    weights.tensors.delete('fc');
    expect(() => buildDlibResnetOnnx(weights)).toThrow(/the weights lack fc, which face-api's FaceRecognitionNet needs/);

    weights.tensors.set('fc', { shape: [128, 256], values: fc.values });
    expect(() => buildDlibResnetOnnx(weights)).toThrow(/fc has shape \[128,256\], expected \[256,128\]/);

    weights.tensors.set('fc', fc);
    weights.tensors.set('extra/bias', { shape: [1], values: new Float32Array(1) });
    expect(() => buildDlibResnetOnnx(weights)).toThrow(/tensors FaceRecognitionNet does not use: extra\/bias/);
  });
});
