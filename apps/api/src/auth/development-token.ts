import { JwtService } from '@nestjs/jwt';
import { Role } from './actor';

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
