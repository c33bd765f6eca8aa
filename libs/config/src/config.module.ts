import { Global, Module } from '@nestjs/common';
import { AppConfig, loadConfig } from './app.config.js';

/** Provides the validated `AppConfig`; construction fails fast on a bad environment. */
@Global()
@Module({ providers: [{ provide: AppConfig, useFactory: () => loadConfig() }], exports: [AppConfig] })
export class ConfigModule {}
