import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { InvalidEnvironmentError, loadConfig, logLevels } from '../../../libs/config/src/index.js';
import { WorkerModule } from './worker.module.js';

/**
 * A worker: boots configuration, Postgres (migrated), the models and the job queue, then works jobs
 * until SIGTERM or SIGINT, when it takes no new job, finishes those in hand and exits. Start as many
 * as the machines allow, against the API's Postgres (DATABASE_URL, or the same DATA_DIR).
 */
async function bootstrap(): Promise<void> {
  const config = loadConfig();
  const app = await NestFactory.createApplicationContext(WorkerModule, { logger: logLevels(config.logLevel) });
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  new Logger('Bootstrap').log(`Worker ${config.worker.name} ready`);
}

bootstrap().catch((error: Error) => {
  // Configuration errors are for people: print the message alone, not a stack.
  console.error(error instanceof InvalidEnvironmentError ? error.message : error);
  process.exit(1);
});
