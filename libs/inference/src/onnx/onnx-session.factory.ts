import ort from 'onnxruntime-node';

export interface OnnxSessionOptions {
  /** Execution providers in order of preference, e.g. ['cuda', 'cpu']. */
  executionProviders: string[];
  /** 0 lets onnxruntime choose. */
  intraOpThreads: number;
}

/** Where the engine reports what it chose; Nest's Logger fits, and so does console. */
export interface EngineLogger {
  log(message: string): void;
  warn(message: string): void;
}

export interface LoadedSession {
  session: ort.InferenceSession;
  executionProvider: string;
}

/** The session options every model runs with (benchmarks reuse them for their raw baseline). */
export function onnxSessionOptions(provider: string, intraOpThreads: number): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [provider],
    intraOpNumThreads: intraOpThreads,
    graphOptimizationLevel: 'all',
    // Idle intra-op threads would otherwise busy-wait after each run and take the cores that the
    // other model and the JavaScript stages need (measured: 2 threads fell from 21 to 12 images/s).
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
}

/**
 * Creates a session on the first execution provider that works: `cuda,cpu` runs on the GPU where
 * the CUDA provider and libraries are present and on the CPU elsewhere, with the same code.
 */
export async function createOnnxSession(
  model: Uint8Array,
  label: string,
  options: OnnxSessionOptions,
  logger: EngineLogger,
): Promise<LoadedSession> {
  const failures: string[] = [];
  for (const provider of options.executionProviders) {
    try {
      const session = await ort.InferenceSession.create(model, onnxSessionOptions(provider, options.intraOpThreads));
      logger.log(`${label}: onnxruntime session on ${provider}${failures.length ? ` (unavailable: ${failures.join('; ')})` : ''}`);
      return { session, executionProvider: provider };
    } catch (error) {
      failures.push(`${provider}: ${(error as Error).message.split('\n')[0]}`);
      logger.warn(`${label}: execution provider ${provider} failed, trying the next one`);
    }
  }
  throw new Error(`${label}: no execution provider worked (${failures.join('; ')})`);
}

export { ort };
