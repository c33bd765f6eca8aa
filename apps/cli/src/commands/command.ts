import { DomainException } from '../../../../libs/common/src/index.js';
import { AppConfig, InvalidEnvironmentError } from '../../../../libs/config/src/index.js';
import { resolve } from 'node:path';
import {
  DatasetError, defaultLfwDir, LfwDataset, LfwPairsFormatError, readLfwDataset, TsvPairsFormatError,
} from '../../../../libs/evaluation/src/index.js';
import { ModelFileError } from '../../../../libs/inference/src/index.js';
import { AdapterError } from '../../../../libs/training/src/index.js';

/** A CLI command: `npm run cli -- <name> [--flag value …]`. Its result is printed as JSON on the last line. */
export interface CliCommand {
  name: string;
  summary: string;
  usage: string;
  run(args: ParsedArgs, config: AppConfig): Promise<unknown>;
}

export interface ParsedArgs {
  positional: string[];
  flags: Map<string, string | true>;
}

export class UsageError extends Error {}

/** Input and setup problems: reported as one line with exit code 2, without a stack. */
export const USER_ERRORS = [UsageError, DomainException, DatasetError, LfwPairsFormatError, TsvPairsFormatError, ModelFileError, InvalidEnvironmentError, AdapterError];

export const isUserError = (error: unknown): error is Error => USER_ERRORS.some((type) => error instanceof type);

export function parseArgs(argv: string[]): ParsedArgs {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const [key, inline] = arg.slice(2).split('=', 2);
    if (inline !== undefined) flags.set(key, inline);
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) flags.set(key, argv[++i]);
    else flags.set(key, true);
  }
  return { positional, flags };
}

export function stringFlag(args: ParsedArgs, name: string, fallback?: string): string {
  const value = args.flags.get(name) ?? fallback;
  if (typeof value !== 'string') throw new UsageError(`--${name} needs a value`);
  return value;
}

export function numberFlag(args: ParsedArgs, name: string, fallback: number): number {
  const raw = args.flags.get(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw === true || !Number.isFinite(value)) throw new UsageError(`--${name} must be a number`);
  return value;
}

/** LFW from `--lfw DIR` (default: DATASET_DIR/lfw, i.e. ../shared/datasets/lfw). */
export const readLfwDatasetFlag = (args: ParsedArgs): Promise<LfwDataset> => readLfwDataset(resolve(stringFlag(args, 'lfw', defaultLfwDir())));
