import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppConfig, InvalidEnvironmentError, loadConfig } from '../../../libs/config/src/index.js';
import { ApiModule } from './api.module.js';
import { configureHttp } from './http.setup.js';

async function bootstrap(): Promise<void> {
  const config = loadConfig();
  const app = await NestFactory.create(ApiModule, { bodyParser: true, logger: logLevels(config.logLevel) });
  configureHttp(app, app.get(AppConfig));
  await app.listen(config.http.port, config.http.host);
  new Logger('Bootstrap').log(`Face recognition API on http://${config.http.host}:${config.http.port} (GraphQL at /graphql)`);
}

function logLevels(level: string) {
  const order = ['error', 'warn', 'log', 'debug', 'verbose'] as const;
  return order.slice(0, order.indexOf(level as (typeof order)[number]) + 1);
}

bootstrap().catch((error: Error) => {
  // Configuration errors are for people: print the message alone, not a stack.
  console.error(error instanceof InvalidEnvironmentError ? error.message : error);
  process.exit(1);
});
