/**
 * GraphiQL served by the service itself, so it works on a district network with no internet: React,
 * ReactDOM and GraphiQL come from their npm packages (UMD builds), never from a CDN.
 *
 * Signing in is a token field above the editor (a pasted `Bearer …` or `Authorization: Bearer …` is
 * accepted as is); the token is kept in sessionStorage, so it is gone when the tab closes — on a shared
 * office PC it does not outlive the session. GraphiQL's own storage (tabs, query history) is the tab's
 * too. In development with the development secret, a button mints a district officer token through
 * POST /graphiql/dev-token (that route does not exist otherwise).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { DEVELOPMENT_JWT_SECRET, type Config } from '../config.js';
import { createAuthService } from '../modules/auth/auth.service.js';

const require = createRequire(import.meta.url);

/** The only files served under /graphiql/assets/, each from its npm package. */
const ASSETS: Record<string, { pkg: string; file: string; type: string }> = {
  'react.js': { pkg: 'react', file: 'umd/react.production.min.js', type: 'text/javascript; charset=utf-8' },
  'react-dom.js': { pkg: 'react-dom', file: 'umd/react-dom.production.min.js', type: 'text/javascript; charset=utf-8' },
  'graphiql.js': { pkg: 'graphiql', file: 'graphiql.min.js', type: 'text/javascript; charset=utf-8' },
  'graphiql.css': { pkg: 'graphiql', file: 'graphiql.min.css', type: 'text/css; charset=utf-8' },
};

/** A file of an installed package (UMD builds are not in the packages' `exports`, so resolve the folder). */
const packageFile = (pkg: string, file: string) => path.join(path.dirname(require.resolve(`${pkg}/package.json`)), file);

export function registerGraphiql(app: FastifyInstance, config: Pick<Config, 'env' | 'jwt'>): void {
  const devTokens = config.env === 'development' && config.jwt.secret === DEVELOPMENT_JWT_SECRET;
  const cache = new Map<string, string>();

  // Replaces the API's policy (src/http/hardening.ts), which allows nothing.
  app.get('/graphiql', async (_request, reply) => reply.type('text/html; charset=utf-8').header('content-security-policy', GRAPHIQL_CSP).send(page(devTokens)));

  app.get<{ Params: { file: string } }>('/graphiql/assets/:file', async (request, reply) => {
    const asset = ASSETS[request.params.file];
    if (!asset) {
      reply.callNotFound();
      return reply;
    }
    let body = cache.get(request.params.file);
    if (body === undefined) {
      body = readFileSync(packageFile(asset.pkg, asset.file), 'utf8');
      cache.set(request.params.file, body);
    }
    return reply.type(asset.type).header('cache-control', 'public, max-age=86400').send(body);
  });

  if (devTokens) {
    const auth = createAuthService(config.jwt);
    app.post('/graphiql/dev-token', async () => ({
      token: await auth.issueToken({ sub: 'dev-district-officer', role: 'district_officer' }),
      role: 'district_officer',
    }));
  }
}

/** The page's own style and script, inline; the page's Content-Security-Policy allows exactly these by hash. */
const STYLE = `
  html, body { height: 100%; margin: 0; }
  body { display: flex; flex-direction: column; font-family: system-ui, sans-serif; }
  #signin { display: flex; gap: 8px; align-items: center; padding: 6px 10px; border-bottom: 1px solid #ddd; background: #f7f7f7; font-size: 14px; }
  #signin input { flex: 1; max-width: 520px; font-family: monospace; }
  #status { color: #555; }
  #graphiql { flex: 1; min-height: 0; }
`;
const SCRIPT = `
(function () {
  var KEY = 'an-sinh.token';
  var input = document.getElementById('token');
  var status = document.getElementById('status');
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  function current() { return sessionStorage.getItem(KEY) || ''; }
  function clean(text) { return text.trim().replace(/^authorization:\\s*/i, '').replace(/^bearer\\s+/i, '').trim(); }
  function fetcher(params) {
    var headers = { 'content-type': 'application/json', accept: 'application/json' };
    if (current()) headers.authorization = 'Bearer ' + current();
    return fetch('/graphql', { method: 'POST', headers: headers, body: JSON.stringify(params) }).then(function (r) { return r.json(); });
  }
  function render() {
    status.textContent = current() ? 'Signed in / Đã đăng nhập' : 'Not signed in / Chưa đăng nhập';
    // A new key remounts GraphiQL, so it fetches the schema again with the new token.
    root.render(React.createElement(GraphiQL, { key: current() || 'anonymous', fetcher: fetcher, storage: sessionStorage, isHeadersEditorEnabled: false }));
  }
  function signIn(token) {
    if (token) sessionStorage.setItem(KEY, token); else sessionStorage.removeItem(KEY);
    input.value = '';
    render();
  }
  document.getElementById('signin').addEventListener('submit', function (e) { e.preventDefault(); signIn(clean(input.value)); });
  document.getElementById('sign-out').addEventListener('click', function () { signIn(''); });
  var dev = document.getElementById('dev-token');
  if (dev) dev.addEventListener('click', function () {
    fetch('/graphiql/dev-token', { method: 'POST' }).then(function (r) { return r.json(); }).then(function (b) { signIn(b.token); });
  });
  render();
})();
`;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/**
 * The page's Content-Security-Policy: scripts and styles from the service only (its npm assets, the inline
 * blocks above by hash), requests to the service only, no frames, no plugins. GraphiQL's editor sets styles
 * from script (CSSOM), which CSP does not restrict; its CSS embeds fonts and icons as data: URIs.
 */
export const GRAPHIQL_CSP = [
  "default-src 'none'",
  `script-src 'self' ${sha256(SCRIPT)}`,
  `style-src 'self' ${sha256(STYLE)}`,
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

function page(devTokens: boolean): string {
  return `<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<title>An Sinh — GraphiQL</title>
<link rel="stylesheet" href="/graphiql/assets/graphiql.css">
<style>${STYLE}</style>
</head>
<body>
<form id="signin" autocomplete="off">
  <label for="token">Token / Mã truy cập</label>
  <input id="token" name="token" type="password" placeholder="Bearer eyJ… (kept for this tab only / chỉ lưu trong thẻ này)">
  <button id="sign-in" type="submit">Sign in / Đăng nhập</button>
  <button id="sign-out" type="button">Sign out / Đăng xuất</button>
  ${devTokens ? '<button id="dev-token" type="button">Development token / Mã thử nghiệm</button>' : ''}
  <span id="status"></span>
</form>
<div id="graphiql"></div>
<script src="/graphiql/assets/react.js"></script>
<script src="/graphiql/assets/react-dom.js"></script>
<script src="/graphiql/assets/graphiql.js"></script>
<script>${SCRIPT}</script>
</body>
</html>`;
}
