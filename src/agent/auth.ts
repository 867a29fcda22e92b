import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export interface Refusal {
  status: number;
  message: string;
  headers?: Record<string, string>;
}

const CHALLENGE = { 'WWW-Authenticate': 'Basic realm="roc-agent", charset="UTF-8"' };

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/** The token a request offers: the Bearer token, or the password of HTTP Basic (any user name). */
export function offeredToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const space = header.indexOf(' ');
  if (space < 0) return undefined;
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();
  if (scheme === 'bearer') return value;
  if (scheme === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon < 0 ? undefined : decodeURIComponent(decoded.slice(colon + 1));
  }
  return undefined;
}

/**
 * Checks every request against the agent's token. Both sides are hashed
 * first so the comparison takes the same time whatever the lengths, and
 * the refusal says nothing about what the agent serves.
 */
export function tokenGate(token: string): (req: IncomingMessage) => Refusal | undefined {
  const expected = digest(token);
  // The header a connection's caller last proved with: a kept-alive caller sends the
  // same one with every call, and hashing it again (a SHA-256 object per request) was
  // a fifth of a small call's work. Comparing with it leaks nothing: only the caller
  // who sent it on this very connection is compared against it.
  const proven = new WeakMap<object, string>();
  return (req) => {
    const header = req.headers.authorization;
    if (header !== undefined && proven.get(req.socket) === header) return undefined;
    let offered: string | undefined;
    try {
      offered = offeredToken(header);
    } catch {
      offered = undefined;
    }
    if (offered === undefined) {
      return {
        status: 401,
        message:
          'this agent needs a token: send Authorization: Bearer <token>, or Basic auth with the token as password',
        headers: CHALLENGE,
      };
    }
    if (!timingSafeEqual(digest(offered), expected)) {
      proven.delete(req.socket);
      return { status: 401, message: 'wrong token', headers: CHALLENGE };
    }
    proven.set(req.socket, header!);
    return undefined;
  };
}

/** 127.0.0.0/8, ::1 and localhost: addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || /^::ffff:127\./.test(h);
}
