import 'reflect-metadata';
import { loadConfig } from '../../../libs/config/src/index.js';
import { calibrateThresholdCommand } from './commands/calibrate-threshold.command.js';
import { clusterFacesCommand } from './commands/cluster-faces.command.js';
import { CliCommand, isUserError, parseArgs, UsageError } from './commands/command.js';
import { enrollDirCommand } from './commands/enroll-dir.command.js';
import { keysCommand } from './commands/keys.command.js';
import { migrateCommand } from './commands/migrate.command.js';
import { modelsCommand } from './commands/models.command.js';
import { qualityReportCommand } from './commands/quality-report.command.js';

const COMMANDS: CliCommand[] = [
  migrateCommand, keysCommand, modelsCommand, enrollDirCommand, calibrateThresholdCommand, qualityReportCommand, clusterFacesCommand,
];

function usage(): string {
  return ['Usage: npm run cli -- <command> [options]', '', ...COMMANDS.map((c) => `  ${c.usage.padEnd(48)} ${c.summary}`)].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    console.error(name ? `Unknown command ${JSON.stringify(name)}\n\n${usage()}` : usage());
    return 2;
  }
  try {
    const result = await command.run(parseArgs(rest), loadConfig());
    if (result !== undefined) console.log(JSON.stringify(result));
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${error.message}\n\nUsage: npm run cli -- ${command.usage}`);
      return 2;
    }
    if (isUserError(error)) {
      console.error(`${command.name}: ${error.message}`);
      return 2;
    }
    console.error(error);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code));
