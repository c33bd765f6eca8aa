import { AppConfig } from '../../../libs/config/src/index.js';
import { ADAPTER_METHODS, AdapterMethod, AdapterStore } from '../../../libs/training/src/index.js';
import { numberFlag, ParsedArgs, stringFlag, UsageError } from './commands/command.js';
import { CrossModelLfw, trainLfwAdapter } from './lfw-cross.js';

/** Default training length of the triplet method (see the README's measurements). */
export const DEFAULT_EPOCHS = 30;
export const DEFAULT_SEED = 1;

export const adapterStore = (config: AppConfig) => new AdapterStore(config.adapters.dir);

export function methodFlag(args: ParsedArgs): AdapterMethod {
  const method = stringFlag(args, 'method', 'triplet');
  if (!ADAPTER_METHODS.includes(method as AdapterMethod)) throw new UsageError(`--method must be one of ${ADAPTER_METHODS.join(', ')}, got ${JSON.stringify(method)}`);
  return method as AdapterMethod;
}

function positiveIntegerFlag(args: ParsedArgs, name: string, fallback: number, min: number): number {
  const value = numberFlag(args, name, fallback);
  if (!Number.isInteger(value) || value < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got ${value}`);
  return value;
}

/** `--folds all` (default: one map per fold of the pairs, each held out) or a comma-separated list of folds. */
function foldsFlag(args: ParsedArgs, data: CrossModelLfw): number[] {
  const available = [...new Set(data.pairs.map((p) => p.fold))].sort((x, y) => x - y);
  const raw = stringFlag(args, 'folds', 'all');
  if (raw === 'all') return available;
  const folds = raw.split(',').map((f) => Number(f.trim()));
  for (const fold of folds) {
    if (!available.includes(fold)) throw new UsageError(`--folds takes "all" or folds among ${available.join(',')}; got ${JSON.stringify(raw)}`);
  }
  return [...new Set(folds)].sort((x, y) => x - y);
}

/** Trains and saves an adapter with the CLI's flags (`--method`, `--seed`, `--epochs`, `--folds`); progress on stderr. */
export function trainAdapterFromFlags(args: ParsedArgs, config: AppConfig, data: CrossModelLfw, method = methodFlag(args)) {
  return trainLfwAdapter(adapterStore(config), data, {
    method,
    seed: positiveIntegerFlag(args, 'seed', DEFAULT_SEED, 0),
    epochs: positiveIntegerFlag(args, 'epochs', DEFAULT_EPOCHS, 1),
    folds: foldsFlag(args, data),
    progress: (line) => process.stderr.write(`${line}\n`),
  });
}
