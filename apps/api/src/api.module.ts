import { ApolloDriver, ApolloDriverConfig } from '@nestjs/apollo';
import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import { AccessModule } from '../../../libs/access/src/index.js';
import { AppConfig, ConfigModule } from '../../../libs/config/src/index.js';
import { RecognitionModule } from '../../../libs/recognition/src/index.js';
import { AuditInterceptor } from './audit/audit.interceptor.js';
import { AccessGuard } from './auth/access.guard.js';
import { RateLimitGuard } from './auth/rate-limit.guard.js';
import { AccessResolver } from './graphql/access.resolver.js';
import { BatchResolver } from './graphql/batch.resolver.js';
import { ClusterResolver } from './graphql/cluster.resolver.js';
import { DomainExceptionFilter } from './graphql/domain-exception.filter.js';
import { FaceResolver } from './graphql/face.resolver.js';
import { GalleryResolver, IdentityResolver } from './graphql/gallery.resolver.js';
import { ModelMigrationResolver } from './graphql/model-migration.resolver.js';
import { formatGraphqlError } from './graphql/graphql-error.formatter.js';
import { ModelResolver } from './graphql/model.resolver.js';
import { queryLimitsRule } from './graphql/query-limits.rule.js';
import { QueryTimeoutInterceptor } from './graphql/query-timeout.interceptor.js';
import { HealthController } from './health/health.controller.js';
import { ImageInputReader } from './upload/image-input.reader.js';

/** Root fields that run the models: they weigh in the complexity limit as MODEL_FIELD_COST plain fields. */
const MODEL_FIELDS = new Set(['enrollFace', 'identify', 'verify', 'detectFaces', 'clusterFaces', 'assignFaceToCluster', 'registerModel']);
const MODEL_FIELD_COST = 100;

/** Every resolver of the schema (the access test checks that each root field declares a role). */
export const RESOLVERS = [GalleryResolver, IdentityResolver, FaceResolver, BatchResolver, ClusterResolver, AccessResolver, ModelMigrationResolver, ModelResolver];

@Module({
  imports: [
    ConfigModule,
    RecognitionModule,
    AccessModule,
    GraphQLModule.forRootAsync<ApolloDriverConfig>({
      driver: ApolloDriver,
      imports: [ConfigModule],
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        autoSchemaFile: true,
        sortSchema: true,
        graphiql: true,
        formatError: formatGraphqlError,
        context: ({ req, res }: { req: unknown; res: unknown }) => ({ req, res }),
        validationRules: [
          queryLimitsRule({ maxDepth: config.graphql.maxDepth, maxComplexity: config.graphql.maxComplexity, modelFields: MODEL_FIELDS, modelFieldCost: MODEL_FIELD_COST }),
        ],
        // Multipart requests must carry `Apollo-Require-Preflight` (or x-apollo-operation-name): a browser
        // form cannot, so uploads cannot be forged cross-site.
        csrfPrevention: true,
      }),
    }),
  ],
  controllers: [HealthController],
  providers: [
    ...RESOLVERS,
    ImageInputReader,
    { provide: APP_FILTER, useClass: DomainExceptionFilter },
    // Guards run in this order: who is calling, then whether they still have request budget.
    { provide: APP_GUARD, useClass: AccessGuard },
    { provide: APP_GUARD, useClass: RateLimitGuard },
    { provide: APP_INTERCEPTOR, useClass: AuditInterceptor },
    { provide: APP_INTERCEPTOR, useClass: QueryTimeoutInterceptor },
  ],
})
export class ApiModule {}
