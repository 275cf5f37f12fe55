/**
 * Bearer-token authentication (jose) and the role checks every module uses (commune visibility and
 * field masking are the access policy's: access-policy.ts).
 */
import { roleVi } from '../../core/labels-vi.js';
import { createRemoteJWKSet, jwtVerify, SignJWT, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import { forbidden, unauthenticated } from '../../errors.js';
import { ROLES, type Principal, type Role } from './auth.types.js';

export interface AuthSettings {
  secret: string | undefined;
  jwksUrl: string | undefined;
  issuer: string | undefined;
  audience: string | undefined;
}

const Claims = z.object({
  sub: z.string().min(1),
  role: z.enum(ROLES),
  communes: z.array(z.string().regex(/^\d{5,6}$/)).default([]),
  scope: z.string().default(''),
});

/**
 * Verified tokens are remembered until they expire, for at most a minute and up to this many tokens:
 * a client sends the same token with every request, and checking its HS256 signature (WebCrypto) was about
 * a twelfth of a prefetched commune page's CPU in the benchmark. A token string maps to exactly the
 * principal its own claims give, so caching changes nothing but the cost.
 */
const VERIFIED_TTL_MS = 60_000;
const VERIFIED_MAX = 10_000;

const MUTATING_ROLES: ReadonlySet<Role> = new Set(['commune_officer', 'district_officer', 'admin']);

export function createAuthService(settings: AuthSettings) {
  const secretKey = settings.secret ? new TextEncoder().encode(settings.secret) : undefined;
  const jwks: JWTVerifyGetKey | undefined = settings.jwksUrl ? createRemoteJWKSet(new URL(settings.jwksUrl)) : undefined;

  const verified = new Map<string, { principal: Principal; until: number }>();

  async function authenticate(authorization: string | undefined): Promise<Principal> {
    const token = authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
    if (!token) {
      throw unauthenticated('A bearer token is required', 'Cần có mã xác thực đăng nhập');
    }
    const now = Date.now();
    const known = verified.get(token);
    if (known && known.until > now) return known.principal;
    let payload: unknown;
    try {
      const options = {
        issuer: settings.issuer,
        audience: settings.audience,
        algorithms: jwks ? undefined : ['HS256'],
        // A token that never expires cannot be withdrawn short of changing the key: refuse it.
        requiredClaims: ['exp', 'sub'],
      };
      if (jwks) payload = (await jwtVerify(token, jwks, options)).payload;
      else if (secretKey) payload = (await jwtVerify(token, secretKey, options)).payload;
      // Neither key configured (possible outside production only, see config.ts): every token is refused.
      else throw new Error('no key to verify tokens with');
    } catch {
      // The reason (expired, bad signature, wrong audience) is deliberately not echoed to the caller.
      throw unauthenticated('The token is invalid or expired', 'Mã xác thực không hợp lệ hoặc đã hết hạn');
    }
    const claims = Claims.safeParse(payload);
    if (!claims.success) {
      throw unauthenticated('The token lacks valid sub, role or communes claims', 'Mã xác thực thiếu hoặc sai thông tin người dùng, vai trò hoặc danh sách xã');
    }
    const principal: Principal = {
      subject: claims.data.sub,
      role: claims.data.role,
      communes: claims.data.communes,
      scopes: new Set(claims.data.scope.split(/\s+/).filter(Boolean)),
    };
    const exp = (payload as { exp?: unknown }).exp;
    const until = Math.min(now + VERIFIED_TTL_MS, typeof exp === 'number' ? exp * 1000 : now);
    const oldest = verified.keys().next();
    if (verified.size >= VERIFIED_MAX && !oldest.done) verified.delete(oldest.value);
    verified.set(token, { principal, until });
    return principal;
  }

  /** Signs a token with the shared secret (development tokens and tests). */
  async function issueToken(claims: { sub: string; role: Role; communes?: string[]; scope?: string }, expiresIn = '12h') {
    if (!secretKey) throw new Error('issueToken needs JWT_SECRET');
    let jwt = new SignJWT({ role: claims.role, communes: claims.communes ?? [], scope: claims.scope ?? '' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(claims.sub)
      .setIssuedAt()
      .setExpirationTime(expiresIn);
    if (settings.issuer) jwt = jwt.setIssuer(settings.issuer);
    if (settings.audience) jwt = jwt.setAudience(settings.audience);
    return jwt.sign(secretKey);
  }

  return { authenticate, issueToken };
}
export type AuthService = ReturnType<typeof createAuthService>;

export function assertCanMutate(p: Principal): void {
  if (!MUTATING_ROLES.has(p.role)) {
    throw forbidden(`Role ${p.role} cannot change records`, `Vai trò ${roleVi(p.role)} không được thay đổi dữ liệu`);
  }
}

export function assertRole(p: Principal, ...roles: Role[]): void {
  if (!roles.includes(p.role)) {
    throw forbidden(`This needs one of the roles: ${roles.join(', ')}`, `Chức năng này cần vai trò: ${roles.map(roleVi).join(', ')}`);
  }
}
