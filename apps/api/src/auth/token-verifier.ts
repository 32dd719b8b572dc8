import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { createPublicKey } from 'node:crypto';
import { APP_CONFIG, AppConfig, TokenBounds } from '../config/app-config';
import { CATALOGUE_ID } from '../http/validators';
import { isRole } from '@lib/contract';
import { Actor } from './actor';

export class InvalidTokenError extends Error {}

interface Claims {
  sub?: unknown;
  role?: unknown;
  insee?: unknown;
  services?: unknown;
  exp?: unknown;
  iat?: unknown;
  nbf?: unknown;
}

/**
 * HS256 with JWT_SECRET, or RS256 with keys from an OIDC provider's JWKS (JWT_JWKS_URL), cached by
 * key id and fetched again when an unknown key id appears (the provider rotated its keys).
 */
@Injectable()
export class TokenVerifier {
  private jwks = new Map<string, string>();
  private lastJwksFetch = 0;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly jwt: JwtService,
  ) {}

  /** `now` in seconds since the epoch: the instant the request is judged at. */
  async verify(token: string, now: number = Math.floor(Date.now() / 1000)): Promise<Actor> {
    let claims: Claims;
    const auth = this.config.auth;
    try {
      // The library checks `exp` and `nbf` within the tolerance; checkLifetime adds what it does not.
      const timing = { clockTimestamp: now, clockTolerance: auth.clockToleranceSeconds };
      claims =
        auth.kind === 'hs256'
          ? await this.jwt.verifyAsync<Claims>(token, { secret: auth.secret, algorithms: ['HS256'], ...timing })
          : await this.jwt.verifyAsync<Claims>(token, {
              publicKey: await this.publicKeyFor(token),
              algorithms: ['RS256'],
              ...timing,
              ...(auth.issuer ? { issuer: auth.issuer } : {}),
              ...(auth.audience ? { audience: auth.audience } : {}),
            });
    } catch (error) {
      throw new InvalidTokenError(error instanceof Error ? error.message : 'invalid token');
    }
    checkLifetime(claims, now, auth);
    return actorOf(claims);
  }

  private async publicKeyFor(token: string): Promise<string> {
    const auth = this.config.auth;
    if (auth.kind !== 'jwks') throw new InvalidTokenError('no JWKS configured');
    const header = this.jwt.decode<{ header?: { kid?: string } } | null>(token, { complete: true });
    const kid = header?.header?.kid;
    if (!kid) throw new InvalidTokenError('token has no key id (kid)');
    // At most one fetch every 10 s, so that tokens with made-up key ids cannot flood the provider.
    if (!this.jwks.has(kid) && Date.now() - this.lastJwksFetch > 10_000) {
      this.lastJwksFetch = Date.now();
      const response = await fetch(auth.jwksUrl);
      if (!response.ok) throw new InvalidTokenError(`JWKS unavailable (${response.status})`);
      const body = (await response.json()) as { keys?: Array<Record<string, unknown>> };
      for (const jwk of body.keys ?? []) {
        if (typeof jwk.kid === 'string' && jwk.kty === 'RSA') {
          this.jwks.set(
            jwk.kid,
            createPublicKey({ key: jwk as never, format: 'jwk' })
              .export({ type: 'spki', format: 'pem' })
              .toString(),
          );
        }
      }
    }
    const pem = this.jwks.get(kid);
    if (!pem) throw new InvalidTokenError(`unknown key id ${kid}`);
    return pem;
  }
}

/**
 * A token must say when it expires, may not live longer than the configured bound, and may not claim to
 * be issued in the future beyond the clock tolerance: a token without `exp` would be valid forever, and a
 * future `iat` would stretch the lifetime check.
 */
function checkLifetime(claims: Claims, now: number, bounds: TokenBounds): void {
  const { exp, iat, nbf } = claims;
  const tolerance = bounds.clockToleranceSeconds;
  if (!isNumericDate(exp)) throw new InvalidTokenError('token has no expiry (exp)');
  if (iat !== undefined && !isNumericDate(iat)) throw new InvalidTokenError('iat must be a NumericDate (seconds since the epoch)');
  if (nbf !== undefined && !isNumericDate(nbf)) throw new InvalidTokenError('nbf must be a NumericDate (seconds since the epoch)');
  if (iat !== undefined && iat > now + tolerance) throw new InvalidTokenError('token is issued in the future (iat)');
  const lifetime = exp - (iat ?? now);
  if (lifetime > bounds.maxLifetimeSeconds)
    throw new InvalidTokenError(
      `token lives ${lifetime} s, longer than the ${bounds.maxLifetimeSeconds} s allowed (JWT_MAX_LIFETIME_SECONDS)`,
    );
}

function isNumericDate(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function actorOf(claims: Claims): Actor {
  if (typeof claims.sub !== 'string' || claims.sub === '') throw new InvalidTokenError('token has no subject (sub)');
  if (!isRole(claims.role)) throw new InvalidTokenError('token role must be admin, auditor, commune or consumer');
  if (claims.role === 'commune' && (typeof claims.insee !== 'string' || !/^[0-9][0-9AB][0-9]{3}$/.test(claims.insee)))
    throw new InvalidTokenError('a commune token needs its INSEE code (insee claim)');
  const services = servicesOf(claims.services);
  return {
    id: claims.sub,
    role: claims.role,
    ...(claims.role === 'commune' ? { insee: claims.insee as string } : {}),
    ...(claims.role === 'consumer' && services ? { services } : {}),
  };
}

/**
 * A `services` claim narrows what a consumer sees; one that is present but not a list of service ids
 * (a string, a list with a number, an object, an empty list) is refused, never read as absent: that
 * would widen the token to every service. Whether each id is in the catalogue is the guard's check.
 */
function servicesOf(claim: unknown): string[] | undefined {
  if (claim === undefined) return undefined;
  const valid =
    Array.isArray(claim) &&
    claim.length > 0 &&
    claim.every((id) => typeof id === 'string' && CATALOGUE_ID.test(id)) &&
    new Set(claim).size === claim.length;
  if (!valid) throw new InvalidTokenError('the services claim must be a non-empty array of distinct service ids, such as ["laclasse"]');
  return claim as string[];
}
