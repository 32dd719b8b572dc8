import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { JWTVerifyGetKey, createRemoteJWKSet, errors as joseErrors, jwtVerify } from 'jose';
import { APP_CONFIG, AppConfig, TokenBounds } from '../config/app-config';
import { CATALOGUE_ID } from '../http/validators';
import { isRole } from '@lib/contract';
import { Actor } from './actor';

export class InvalidTokenError extends Error {}

/** The OIDC provider's JWKS cannot be fetched (down, hung past JWT_JWKS_TIMEOUT_MS, not a JWKS): 503, not the token's fault. */
export class IdentityProviderUnavailableError extends Error {}

interface Claims {
  sub?: unknown;
  role?: unknown;
  insee?: unknown;
  services?: unknown;
  exp?: unknown;
  iat?: unknown;
  nbf?: unknown;
}

/** An unknown key id may fetch the JWKS again at most this often: a flood of made-up key ids costs the provider one fetch a second. */
const JWKS_COOLDOWN_MS = 1_000;

/**
 * HS256 with JWT_SECRET, or RS256 with keys from an OIDC provider's JWKS (JWT_JWKS_URL) through jose's
 * remote key set: one fetch shared by simultaneous requests (no cold-start race), fetched again on an
 * unknown key id (rotation) and past JWT_JWKS_CACHE_MAX_AGE_SECONDS (a removed key stops being trusted),
 * abandoned after JWT_JWKS_TIMEOUT_MS.
 */
@Injectable()
export class TokenVerifier {
  private readonly jwks?: JWTVerifyGetKey;
  private remote?: ReturnType<typeof createRemoteJWKSet>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly jwt: JwtService,
  ) {
    const auth = config.auth;
    if (auth.kind === 'jwks') {
      const remote = createRemoteJWKSet(new URL(auth.jwksUrl), {
        timeoutDuration: auth.jwksTimeoutMs,
        cooldownDuration: JWKS_COOLDOWN_MS,
        cacheMaxAge: auth.jwksCacheMaxAgeSeconds * 1000,
      });
      this.remote = remote;
      this.jwks = async (header, token) => {
        try {
          return await remote(header, token);
        } catch (error) {
          // No key fits the token: the token's fault. Anything else is the fetch failing: the provider's.
          if (error instanceof joseErrors.JWKSNoMatchingKey || error instanceof joseErrors.JWKSMultipleMatchingKeys) throw error;
          if (error instanceof joseErrors.JOSENotSupported) throw error;
          throw new IdentityProviderUnavailableError(
            `the identity provider's JWKS cannot be fetched: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
      };
    }
  }

  /**
   * For readiness: whether tokens can be checked now. HS256 always can; with a JWKS, a fresh cached set
   * will do, else it is fetched (bounded by JWT_JWKS_TIMEOUT_MS).
   */
  async identityProvider(): Promise<'hs256' | 'reachable' | 'unreachable'> {
    if (!this.remote) return 'hs256';
    if (this.remote.fresh) return 'reachable';
    try {
      await this.remote.reload();
      return 'reachable';
    } catch {
      return 'unreachable';
    }
  }

  /** `now` in seconds since the epoch: the instant the request is judged at. */
  async verify(token: string, now: number = Math.floor(Date.now() / 1000)): Promise<Actor> {
    let claims: Claims;
    const auth = this.config.auth;
    try {
      // The libraries check `exp` and `nbf` within the tolerance; checkLifetime adds what they do not.
      if (auth.kind === 'hs256') {
        claims = await this.jwt.verifyAsync<Claims>(token, {
          secret: auth.secret,
          algorithms: ['HS256'],
          clockTimestamp: now,
          clockTolerance: auth.clockToleranceSeconds,
        });
      } else {
        const verified = await jwtVerify(token, this.jwks!, {
          algorithms: ['RS256'],
          currentDate: new Date(now * 1000),
          clockTolerance: auth.clockToleranceSeconds,
          ...(auth.issuer ? { issuer: auth.issuer } : {}),
          ...(auth.audience ? { audience: auth.audience } : {}),
        });
        claims = verified.payload;
      }
    } catch (error) {
      if (error instanceof IdentityProviderUnavailableError) throw error;
      if (error instanceof joseErrors.JWKSNoMatchingKey)
        throw new InvalidTokenError('no key of the identity provider fits the token (kid)');
      throw new InvalidTokenError(error instanceof Error ? error.message : 'invalid token');
    }
    checkLifetime(claims, now, auth);
    return actorOf(claims);
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

export function actorOf(claims: Claims): Actor {
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
