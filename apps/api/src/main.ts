import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppConfig, InvalidEnvironmentError, isLoopback, loadConfig, logLevels } from '../../../libs/config/src/index.js';
import { ApiModule } from './api.module.js';
import { configureHttp } from './http.setup.js';

async function bootstrap(): Promise<void> {
  const config = loadConfig();
  const app = await NestFactory.create(ApiModule, { bodyParser: true, logger: logLevels(config.logLevel) });
  configureHttp(app, app.get(AppConfig));
  await app.listen(config.http.port, config.http.host);
  const logger = new Logger('Bootstrap');
  logger.log(`Face recognition API on http://${config.http.host}:${config.http.port} (GraphQL at /graphql)`);
  if (!config.auth.required) {
    const note = 'requests without an API key act as admin of the default tenant';
    if (isLoopback(config.http.host)) logger.log(`Authentication off on loopback (AUTH_MODE=${config.auth.mode}): ${note}`);
    else logger.warn(`AUTH_MODE=disabled on ${config.http.host}, reachable from other machines: ${note}. Use AUTH_MODE=required.`);
  }
}

bootstrap().catch((error: Error) => {
  // Configuration errors are for people: print the message alone, not a stack.
  console.error(error instanceof InvalidEnvironmentError ? error.message : error);
  process.exit(1);
});
