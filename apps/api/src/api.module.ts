import { ApolloDriver, ApolloDriverConfig } from '@nestjs/apollo';
import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import { ConfigModule } from '../../../libs/config/src/index.js';
import { RecognitionModule } from '../../../libs/recognition/src/index.js';
import { ClusterResolver } from './graphql/cluster.resolver.js';
import { DomainExceptionFilter } from './graphql/domain-exception.filter.js';
import { FaceResolver } from './graphql/face.resolver.js';
import { GalleryResolver, IdentityResolver } from './graphql/gallery.resolver.js';
import { formatGraphqlError } from './graphql/graphql-error.formatter.js';
import { HealthController } from './health/health.controller.js';
import { ImageInputReader } from './upload/image-input.reader.js';

@Module({
  imports: [
    ConfigModule,
    RecognitionModule,
    GraphQLModule.forRoot<ApolloDriverConfig>({
      driver: ApolloDriver,
      autoSchemaFile: true,
      sortSchema: true,
      graphiql: true,
      formatError: formatGraphqlError,
      // Multipart requests must carry `Apollo-Require-Preflight` (or x-apollo-operation-name): a browser
      // form cannot, so uploads cannot be forged cross-site.
      csrfPrevention: true,
    }),
  ],
  controllers: [HealthController],
  providers: [GalleryResolver, IdentityResolver, FaceResolver, ClusterResolver, ImageInputReader, { provide: APP_FILTER, useClass: DomainExceptionFilter }],
})
export class ApiModule {}
