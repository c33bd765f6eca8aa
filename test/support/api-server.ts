import { INestApplication } from '@nestjs/common';
import { ApiModule } from '../../apps/api/src/api.module.js';
import { configureHttp } from '../../apps/api/src/http.setup.js';
import { AppConfig } from '../../libs/config/src/index.js';
import { GraphqlClient } from './graphql-client.js';
import { bootModule } from './test-app.js';

export interface ApiServer {
  app: INestApplication;
  baseUrl: string;
  api: GraphqlClient;
}

/** The API as `main.ts` serves it (same HTTP setup), on a free loopback port. */
export async function startApiServer(config: AppConfig): Promise<ApiServer> {
  const app = await bootModule(ApiModule, config);
  configureHttp(app, config);
  await app.listen(0, '127.0.0.1');
  const baseUrl = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return { app, baseUrl, api: new GraphqlClient(baseUrl) };
}
