// `npm run token -- --role district_officer [--communes 24865,24848] [--sub name] [--scope "a b"] [--expires 12h]`
// Prints a development token signed with JWT_SECRET (or the development secret when none is set).
import { parseArgs } from 'node:util';
import { loadConfig } from '../../config.js';
import { createAuthService } from './auth.service.js';
import { ROLES, type Role } from './auth.types.js';

const { values } = parseArgs({
  options: {
    role: { type: 'string', default: 'district_officer' },
    communes: { type: 'string', default: '' },
    sub: { type: 'string' },
    scope: { type: 'string', default: '' },
    expires: { type: 'string', default: '12h' },
  },
});
if (!ROLES.includes(values.role as Role)) {
  console.error(`--role must be one of: ${ROLES.join(', ')}`);
  process.exit(2);
}
const config = loadConfig();
const auth = createAuthService(config.jwt);
const token = await auth.issueToken(
  {
    sub: values.sub ?? `dev-${values.role}`,
    role: values.role as Role,
    communes: values.communes ? values.communes.split(',').map((c) => c.trim()) : [],
    scope: values.scope,
  },
  values.expires,
);
console.log(token);
