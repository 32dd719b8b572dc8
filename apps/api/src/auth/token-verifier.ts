import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { createPublicKey } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Actor, isRole } from './actor';

export class InvalidTokenError extends Error {}

interface Claims {
  sub?: unknown;
  role?: unknown;
  insee?: unknown;
  services?: unknown;
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

  async verify(token: string): Promise<Actor> {
    let claims: Claims;
    try {
      const auth = this.config.auth;
      claims =
        auth.kind === 'hs256'
          ? await this.jwt.verifyAsync<Claims>(token, { secret: auth.secret, algorithms: ['HS256'] })
          : await this.jwt.verifyAsync<Claims>(token, {
              publicKey: await this.publicKeyFor(token),
              algorithms: ['RS256'],
              ...(auth.issuer ? { issuer: auth.issuer } : {}),
              ...(auth.audience ? { audience: auth.audience } : {}),
            });
    } catch (error) {
      throw new InvalidTokenError(error instanceof Error ? error.message : 'invalid token');
    }
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
          this.jwks.set(jwk.kid, createPublicKey({ key: jwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString());
        }
      }
    }
    const pem = this.jwks.get(kid);
    if (!pem) throw new InvalidTokenError(`unknown key id ${kid}`);
    return pem;
  }
}

function actorOf(claims: Claims): Actor {
  if (typeof claims.sub !== 'string' || claims.sub === '') throw new InvalidTokenError('token has no subject (sub)');
  if (!isRole(claims.role)) throw new InvalidTokenError('token role must be admin, auditor, commune or consumer');
  if (claims.role === 'commune' && (typeof claims.insee !== 'string' || !/^[0-9][0-9AB][0-9]{3}$/.test(claims.insee)))
    throw new InvalidTokenError('a commune token needs its INSEE code (insee claim)');
  const services = Array.isArray(claims.services) && claims.services.every((s) => typeof s === 'string') ? (claims.services as string[]) : undefined;
  return {
    id: claims.sub,
    role: claims.role,
    ...(claims.role === 'commune' ? { insee: claims.insee as string } : {}),
    ...(claims.role === 'consumer' && services ? { services } : {}),
  };
}
