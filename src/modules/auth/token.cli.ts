// `npm run token -- --role district_officer [--communes 24865,24848] [--sub name] [--scope "a b"] [--expires 12h]`
// Prints a development token signed with JWT_SECRET (or the development secret when none is set).
import { cli, parseCliArgs, type Cli } from '../../ops/cli.js';
import { createAuthService } from './auth.service.js';
import { ROLES, type Role } from './auth.types.js';

const HELP = `Usage: npm run token -- [options]

Prints a bearer token signed with JWT_SECRET (or the development secret when none is set).

Options:
  --role <role>        ${ROLES.join(', ')} (default district_officer)
  --communes <codes>   commune codes a commune officer acts on, comma-separated, e.g. 24865,24848
  --sub <name>         subject of the token (default dev-<role>)
  --scope "<scopes>"   space-separated scopes of an integration client, e.g. "person:national_id"
  --expires <time>     lifetime: a number and a unit s, m, h, d or w, e.g. 30m, 12h, 7d (default 12h)
  --help               this text`;

const tool = cli('token');
// Annotated, so that TypeScript narrows after a call (an assertion needs an explicit type).
const fail: Cli['fail'] = tool.fail;
const { values } = parseCliArgs(tool, HELP, {
  options: {
    role: { type: 'string', default: 'district_officer' },
    communes: { type: 'string', default: '' },
    sub: { type: 'string' },
    scope: { type: 'string', default: '' },
    expires: { type: 'string', default: '12h' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (!ROLES.includes(values.role as Role)) fail(`--role must be one of: ${ROLES.join(', ')}`);
if (!/^\d+(s|m|h|d|w)$/.test(values.expires)) fail(`--expires must be a number and a unit s, m, h, d or w (e.g. 12h), not "${values.expires}"`);
const communes = values.communes ? values.communes.split(',').map((c) => c.trim()) : [];
const badCommune = communes.find((c) => !/^\d{5}$/.test(c));
if (badCommune !== undefined) fail(`--communes takes 5-digit commune codes separated by commas, not "${badCommune}"`);

const config = tool.config();
if (!config.jwt.secret) fail('No JWT_SECRET is set (JWKS_URL is): tokens come from the identity provider');
const auth = createAuthService(config.jwt);
const token = await auth.issueToken({ sub: values.sub ?? `dev-${values.role}`, role: values.role as Role, communes, scope: values.scope }, values.expires);
console.log(token);
