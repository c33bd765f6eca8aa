import { ConsoleLogger, Logger, LogLevel } from '@nestjs/common';
import { AppConfig, loadConfig } from '../../../libs/config/src/index.js';
import { formatDuration } from '../../../libs/evaluation/src/lfw-embedder.js';
import { CliCommand, isUserError, ParsedArgs, parseArgs, UsageError } from './commands/command.js';

/** What a command prints: `report` as the `--json` line, `summary` for people. */
export interface ScriptOutput {
  report: object;
  summary: string;
}

/** A command of a long-running script (`npm run eval`, `npm run train`): progress on stderr, the result on stdout. */
export interface ScriptCommand extends Omit<CliCommand, 'run'> {
  flags: string[];
  run(args: ParsedArgs, config: AppConfig): Promise<ScriptOutput>;
}

/** Flags that are switches: they take no value. */
const SWITCHES = ['json', 'no-cache', 'int8'];

/** Nest's console logger, but everything on stderr: stdout carries only the result. */
class StderrLogger extends ConsoleLogger {
  protected override printMessages(messages: unknown[], context?: string, logLevel?: LogLevel, _stream?: 'stdout' | 'stderr', errorStack?: unknown, params?: Record<string, unknown>): void {
    super.printMessages(messages, context, logLevel, 'stderr', errorStack, params);
  }
}

function checkFlags(command: ScriptCommand, args: ParsedArgs): void {
  if (args.positional.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(args.positional[0])}`);
  for (const [flag, value] of args.flags) {
    if (!command.flags.includes(flag)) throw new UsageError(`unknown flag --${flag} (${command.usage})`);
    if (SWITCHES.includes(flag) && value !== true) throw new UsageError(`--${flag} takes no value, got ${JSON.stringify(value)}`);
  }
}

/**
 * Runs `argv` (`<command> [flags]`) against `commands` of the script `script`; resolves to the exit
 * code: 0 done, 2 a user error (one line on stderr, no stack), 1 a bug.
 */
export async function runScript(script: string, commands: readonly ScriptCommand[], argv: string[]): Promise<number> {
  Logger.overrideLogger(new StderrLogger({ colors: process.stderr.isTTY === true }));
  const [name, ...rest] = argv;
  const command = commands.find((c) => c.name === name);
  if (!command) {
    const usage = [`Usage: npm run ${script} -- <command> [options]`, ...commands.map((c) => `  ${c.usage}\n      ${c.summary}`)].join('\n');
    console.error(name ? `${script}: unknown command ${JSON.stringify(name)}; expected ${commands.map((c) => c.name).join(' or ')}` : usage);
    return 2;
  }
  const started = performance.now();
  try {
    const args = parseArgs(rest);
    checkFlags(command, args);
    const output = await command.run(args, loadConfig());
    console.error(`${script} ${command.name}: done in ${formatDuration((performance.now() - started) / 1000)}`);
    console.log(args.flags.has('json') ? JSON.stringify(output.report) : output.summary);
    return 0;
  } catch (error) {
    if (isUserError(error)) {
      console.error(`${script} ${command.name}: ${(error as Error).message.replace(/\s*\n\s*/g, '; ')}`);
      return 2;
    }
    console.error(error);
    return 1;
  }
}

export const percent = (v: number, digits = 2) => `${(100 * v).toFixed(digits)}%`;
