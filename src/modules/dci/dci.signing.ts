/**
 * Message signatures of the DCI API. The spec's `signature` is "a signature of {header}+{message}" verified with the
 * sender's public key; it leaves the encoding open. An Sinh uses a JWS in compact serialisation with a detached
 * payload (RFC 7515 appendix F): `<protected header>..<signature>`, over the canonical JSON (keys sorted, the form
 * the audit log hashes) of `{ header, message }`. The protected header names the key (`kid`) and algorithm.
 * Requests are verified against the partner's registered JWKS; responses and callbacks are signed with An Sinh's
 * key, whose public half is served at /.well-known/jwks.json.
 */
import {
  base64url,
  calculateJwkThumbprint,
  CompactSign,
  compactVerify,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JSONWebKeySet,
  type JWK,
} from 'jose';
import { canonicalJson } from '../audit/audit.service.js';

/** Algorithms accepted on partner signatures (asymmetric only: a shared secret would let us forge their requests). */
export const DCI_SIGNATURE_ALGORITHMS = ['ES256', 'ES384', 'EdDSA', 'Ed25519', 'RS256', 'PS256'] as const;

/** The bytes signed: the canonical JSON of header and message. */
const PRIVATE_MEMBERS = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']);

export const signingInput = (header: unknown, message: unknown): Uint8Array => new TextEncoder().encode(canonicalJson({ header, message }));

export interface DciSigner {
  /** An Sinh's public keys, as served at /.well-known/jwks.json. */
  publicJwks: { keys: JWK[] };
  sign(header: unknown, message: unknown): Promise<string>;
}

/**
 * An Sinh's signer, from a private JWK (DCI_SIGNING_KEY, JSON) or, when none is configured (development and
 * tests only: config.ts refuses production without one), a key pair generated at start-up.
 */
export async function createDciSigner(privateJwkText: string | undefined): Promise<DciSigner> {
  let privateJwk: JWK;
  if (privateJwkText) {
    privateJwk = JSON.parse(privateJwkText) as JWK;
  } else {
    const pair = await generateKeyPair('ES256', { extractable: true });
    privateJwk = { ...(await exportJWK(pair.privateKey)), alg: 'ES256' };
  }
  const alg = privateJwk.alg ?? (privateJwk.kty === 'OKP' ? 'EdDSA' : privateJwk.kty === 'RSA' ? 'RS256' : 'ES256');
  // The public half: every member but the private ones (RFC 7518 §6.2.2, §6.3.2, RFC 8037 §2).
  const publicPart = Object.fromEntries(Object.entries(privateJwk).filter(([k]) => !PRIVATE_MEMBERS.has(k))) as JWK;
  const kid = privateJwk.kid ?? (await calculateJwkThumbprint(publicPart));
  const key = await importJWK({ ...privateJwk, alg }, alg);
  const publicJwk: JWK = { ...publicPart, kid, alg, use: 'sig' };
  return {
    publicJwks: { keys: [publicJwk] },
    async sign(header, message) {
      const jws = await new CompactSign(signingInput(header, message)).setProtectedHeader({ alg, kid }).sign(key);
      const [protectedHeader, , signature] = jws.split('.');
      return `${protectedHeader}..${signature}`;
    },
  };
}

/** Why a signature was refused, in the spec's error codes. */
export type SignatureProblem = 'err.signature.missing' | 'err.signature.invalid';

/** Checks a detached JWS over `{ header, message }` against a JWK Set; returns the problem, or null when valid. */
export async function checkSignature(signature: unknown, header: unknown, message: unknown, jwks: JSONWebKeySet): Promise<SignatureProblem | null> {
  if (typeof signature !== 'string' || signature.trim() === '') return 'err.signature.missing';
  const parts = signature.split('.');
  if (parts.length !== 3 || parts[1] !== '') return 'err.signature.invalid';
  try {
    await compactVerify(`${parts[0]}.${base64url.encode(signingInput(header, message))}.${parts[2]}`, createLocalJWKSet(jwks), {
      algorithms: [...DCI_SIGNATURE_ALGORITHMS],
    });
    return null;
  } catch {
    return 'err.signature.invalid';
  }
}
