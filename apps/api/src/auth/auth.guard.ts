import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  Inject,
  Injectable,
  SetMetadata,
  UnauthorizedException,
  createParamDecorator,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Request } from 'express';
import { loadCatalogue } from '@lib/application';
import { EVENT_STORE, EventStore } from '@lib/event-store/event-store.port';
import type { Role } from '@lib/contract';
import { Actor } from './actor';
import { InvalidTokenError, TokenVerifier } from './token-verifier';
import { StreamTokens } from './stream-tokens';

const ROLES_KEY = 'roles';
const PUBLIC_KEY = 'public';
const STREAM_TOKEN_KEY = 'stream-token';

/** The roles allowed on a route (API.md). A route without @Roles or @Public is refused to everyone. */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);
export const Public = () => SetMetadata(PUBLIC_KEY, true);
/** The route also takes a stream token as `?access_token=` (GET /api/feed/stream, for a browser's EventSource): no other route does. */
export const AcceptsStreamToken = () => SetMetadata(STREAM_TOKEN_KEY, true);

export type AuthenticatedRequest = Request & { actor?: Actor };

export const CurrentActor = createParamDecorator((_: unknown, context: ExecutionContext): Actor => {
  const actor = context.switchToHttp().getRequest<AuthenticatedRequest>().actor;
  if (!actor) throw new UnauthorizedException();
  return actor;
});

/** Every route but the public ones needs a bearer token; the role must be one the route allows. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: TokenVerifier,
    private readonly streamTokens: StreamTokens,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers.authorization;
    const queryToken = this.reflector.getAllAndOverride<boolean>(STREAM_TOKEN_KEY, targets) ? request.query.access_token : undefined;
    try {
      if (queryToken !== undefined) {
        // One credential per request: with both, which one acts would be a guess.
        if (header !== undefined) throw new InvalidTokenError('send a bearer token or an access_token, not both');
        // Only a stream token: a bearer token in a URL would end up in proxy and browser histories.
        if (typeof queryToken !== 'string') throw new InvalidTokenError('access_token must be one stream token');
        request.actor = await this.streamTokens.verify(queryToken);
      } else {
        const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
        if (!match) throw new UnauthorizedException('A bearer token is required (Authorization: Bearer <JWT>)');
        request.actor = await this.verifier.verify(match[1]);
      }
      if (request.actor.services) await this.checkServicesAreKnown(request.actor.services);
    } catch (error) {
      if (error instanceof InvalidTokenError) throw new UnauthorizedException(`Invalid token: ${error.message}`);
      throw error;
    }
    const allowed = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets) ?? [];
    if (!allowed.includes(request.actor.role)) throw new ForbiddenException(`Role ${request.actor.role} may not use this route`);
    return true;
  }

  /** A claim naming a service the catalogue does not hold is a mistake in the token: refused, not ignored. */
  private async checkServicesAreKnown(services: readonly string[]): Promise<void> {
    const known = new Set((await loadCatalogue(this.store)).services.map((service) => service.serviceId));
    const unknown = services.filter((id) => !known.has(id));
    if (unknown.length > 0)
      throw new InvalidTokenError(`the services claim names services the catalogue does not hold: ${unknown.join(', ')}`);
  }
}

/** A commune reads only its own data (API.md). */
export function assertMayReadCommune(actor: Actor, insee: string): void {
  if (actor.role === 'commune' && actor.insee !== insee) throw new ForbiddenException('A commune reads only its own data');
}
