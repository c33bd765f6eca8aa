import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import type { Principal, Role } from '../../../../libs/access/src/index.js';
import type { Request } from 'express';

export const REQUIRED_ROLE = 'facerec:required-role';
export const PUBLIC_ROUTE = 'facerec:public-route';

/** The least role that may call this operation. Every GraphQL root field must say (the guard refuses fields without it). */
export const RequireRole = (role: Role) => SetMetadata(REQUIRED_ROLE, role);

/** An HTTP route anyone may call (health checks). */
export const PublicRoute = () => SetMetadata(PUBLIC_ROUTE, true);

/** The request as authenticated by the AccessGuard. */
export interface AuthenticatedRequest extends Request {
  principal?: Principal;
}

export const requestOf = (context: ExecutionContext): AuthenticatedRequest =>
  context.getType<string>() === 'graphql'
    ? GqlExecutionContext.create(context).getContext<{ req: AuthenticatedRequest }>().req
    : context.switchToHttp().getRequest<AuthenticatedRequest>();

/** The caller of a guarded operation. */
export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => requestOf(context).principal!);
