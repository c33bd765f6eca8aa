import type { Server } from 'node:http';
import { INestApplication, ValidationPipe } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { ErrorCode } from '../../../libs/common/src/index.js';
import { AppConfig } from '../../../libs/config/src/index.js';
import { graphqlMultipartMiddleware } from './upload/graphql-multipart.middleware.js';

/** verify() takes two images, the most any operation takes. */
const MAX_FILES_PER_REQUEST = 2;

/**
 * HTTP concerns shared by the server and the end-to-end tests: body limits sized for base64
 * images, GraphQL multipart uploads, input validation, a GraphQL-shaped 413 and socket timeouts.
 */
export function configureHttp(app: INestApplication, config: AppConfig): void {
  const express = app as NestExpressApplication;
  const maxBytes = config.limits.maxUploadBytes;
  // Two base64 images (4/3 of their bytes) plus the query.
  express.useBodyParser('json', { limit: Math.ceil((MAX_FILES_PER_REQUEST * maxBytes * 4) / 3) + 64 * 1024 });
  express.use('/graphql', graphqlMultipartMiddleware({ maxFileBytes: maxBytes, maxFiles: MAX_FILES_PER_REQUEST }));
  express.use((error: { type?: string; status?: number }, _req: Request, res: Response, next: NextFunction) => {
    if (error?.type !== 'entity.too.large') return next(error);
    res.status(413).json({ errors: [{ message: `Request body exceeds the limit (MAX_UPLOAD_BYTES=${maxBytes})`, extensions: { code: ErrorCode.IMAGE_TOO_LARGE } }] });
  });
  app.useGlobalPipes(new ValidationPipe({ transform: true, forbidUnknownValues: false, stopAtFirstError: false }));
  // A client gets REQUEST_TIMEOUT_MS to send its whole request (slow uploads cannot hold sockets forever).
  const server = app.getHttpServer() as Server;
  server.requestTimeout = config.requestTimeoutMs;
  server.headersTimeout = Math.min(config.requestTimeoutMs, 60_000);
  app.enableShutdownHooks();
}
