import { Inject, Injectable } from '@nestjs/common';
import { createHmac, randomBytes } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Actor } from './actor';
import { InvalidTokenError, actorOf } from './token-verifier';

/** The audience and type of a stream token: it opens GET /api/feed/stream and nothing else. */
export const STREAM_TOKEN_AUDIENCE = 'conventions-cadre:feed-stream';
const STREAM_TOKEN_TYPE = 'feed-stream+jwt';

/**
 * Short-lived tokens for a browser's EventSource, which cannot set an Authorization header
 * (docs/operations.md): POST /api/feed/stream-tokens, then GET /api/feed/stream?access_token=….
 * Signed (HS256) with a key of their own: derived from JWT_SECRET, so every API process on the same
 * secret accepts them, but never equal to it, so a stream token is no bearer token anywhere (its
 * signature fails there, besides its audience and type) and a bearer token is no stream token. With
 * an OIDC provider (no shared secret) the key is random per process: a stream token opens a stream on
 * the process that issued it only (docs/operations.md).
 */
@Injectable()
export class StreamTokens {
  private readonly key: Uint8Array;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    const auth = config.auth;
    this.key =
      auth.kind === 'hs256' ? createHmac('sha256', auth.secret).update('conventions-cadre feed stream tokens').digest() : randomBytes(32);
  }

  async issue(actor: Actor, now: number = Math.floor(Date.now() / 1000)): Promise<{ token: string; expiresAt: string }> {
    const exp = now + this.config.feed.streamTokenTtlSeconds;
    const token = await new SignJWT({
      role: actor.role,
      ...(actor.insee ? { insee: actor.insee } : {}),
      ...(actor.services ? { services: actor.services } : {}),
    })
      .setProtectedHeader({ alg: 'HS256', typ: STREAM_TOKEN_TYPE })
      .setSubject(actor.id)
      .setAudience(STREAM_TOKEN_AUDIENCE)
      .setIssuedAt(now)
      .setExpirationTime(exp)
      .sign(this.key);
    return { token, expiresAt: new Date(exp * 1000).toISOString() };
  }

  /** The caller the token was issued to; InvalidTokenError when it is malformed, expired, or no stream token. */
  async verify(token: string, now: number = Math.floor(Date.now() / 1000)): Promise<Actor> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: ['HS256'],
        audience: STREAM_TOKEN_AUDIENCE,
        typ: STREAM_TOKEN_TYPE,
        requiredClaims: ['exp', 'iat', 'sub'],
        currentDate: new Date(now * 1000),
        // Issued by this API, on this clock (or a peer's on the same database): little skew to allow for.
        clockTolerance: 5,
      });
      return actorOf(payload);
    } catch (error) {
      if (error instanceof InvalidTokenError) throw error;
      throw new InvalidTokenError(`not a valid stream token: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
