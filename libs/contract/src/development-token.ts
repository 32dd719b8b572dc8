import { JwtService } from '@nestjs/jwt';
import { Role } from './roles';

/** Used only outside production when JWT_SECRET is unset, so that `npm start` works with no setup. */
export const DEVELOPMENT_JWT_SECRET = 'development-only-secret-never-use-in-production';

export interface TokenRequest {
  sub: string;
  role: Role;
  insee?: string;
  services?: string[];
  expiresInSeconds?: number;
}

/** Signs an HS256 token, for development, tests and the operator CLI (`token`). */
export function signToken(secret: string, request: TokenRequest): string {
  const { sub, role, insee, services, expiresInSeconds = 12 * 3600 } = request;
  return new JwtService().sign(
    { sub, role, ...(insee ? { insee } : {}), ...(services ? { services } : {}) },
    { secret, algorithm: 'HS256', expiresIn: expiresInSeconds },
  );
}
