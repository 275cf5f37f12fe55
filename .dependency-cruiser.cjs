// dependency-cruiser: the layers and module boundaries of docs/architecture.md, checked on every `npm run lint`.
// Paths are relative to the folder the cruise runs from (the repository root; the fixture folder in
// test/dependency-rules.test.ts). Type-only imports count (tsPreCompilationDeps): a type edge is still an edge.

/** Repository-layer files: all of a module's SQL (the repository, and SQL builders such as rules/rule-sql.ts). */
const REPOSITORY_LAYER = '^src/modules/[^/]+/(.+\\.repository|[^/]+-sql)\\.ts$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Import cycles make module initialisation order-dependent (MERIT_CATEGORIES before initialization).',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-is-pure',
      severity: 'error',
      comment: 'src/core is the pure domain: it imports only itself and zod (no database, GraphQL, service or Node API).',
      from: { path: '^src/core/' },
      to: { pathNot: ['^src/core/', '(^|/)node_modules/zod/'] },
    },
    {
      name: 'repository-not-to-service-or-resolvers',
      severity: 'error',
      comment: 'A repository holds SQL only; services call repositories, never the other way round.',
      from: { path: REPOSITORY_LAYER },
      to: { path: '\\.(service|resolvers)\\.ts$' },
    },
    {
      name: 'module-not-to-other-module-repository',
      severity: 'error',
      comment: "Modules talk through each other's services (wired in app.ts), never through another module's repository.",
      from: { path: '^src/modules/([^/]+)/' },
      to: { path: REPOSITORY_LAYER, pathNot: '^src/modules/$1/' },
    },
    {
      name: 'service-and-repository-not-to-graphql',
      severity: 'error',
      comment: 'Services and repositories do not know GraphQL (shared checks such as isValidDate belong in src/core).',
      from: { path: ['\\.service\\.ts$', REPOSITORY_LAYER] },
      to: { path: '^src/graphql/' },
    },
    {
      name: 'module-only-to-other-module-service',
      severity: 'error',
      comment: "Across modules, only the other module's service (its interface and types) and auth's access policy; shared pure code belongs in src/core.",
      from: { path: '^src/modules/([^/]+)/' },
      to: { path: '^src/modules/', pathNot: ['^src/modules/$1/', '\\.service\\.ts$', '^src/modules/auth/'] },
    },
    {
      name: 'resolvers-not-to-database',
      severity: 'error',
      comment: 'Resolvers run no queries of their own (tables, drizzle): the service and repository do.',
      from: { path: '\\.resolvers\\.ts$' },
      to: { path: ['^src/db/', '(^|/)node_modules/drizzle-orm/'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'resolvers-not-to-repository',
      severity: 'error',
      comment: 'Resolvers translate arguments and call services; every read goes through the service and its access check.',
      from: { path: '\\.resolvers\\.ts$' },
      to: { path: REPOSITORY_LAYER },
    },
    {
      name: 'src-not-to-test-or-bench',
      severity: 'error',
      comment: 'The application never depends on its tests or benchmarks.',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'src-not-to-seeds',
      severity: 'error',
      comment: 'Demo data is optional: only the process entry (server.ts) decides to seed; reference data lives in src/reference.',
      from: { path: '^src/', pathNot: '^src/server\\.ts$' },
      to: { path: '^seeds/' },
    },
    {
      name: 'db-not-to-modules',
      severity: 'error',
      comment: 'src/db (client, tables, migrations) sits below the modules.',
      from: { path: '^src/db/' },
      to: { path: '^src/modules/' },
    },
    {
      name: 'graphql-not-to-repositories',
      severity: 'error',
      comment: 'The GraphQL layer reaches data through services. generated.ts is exempt: its mappers name the row types resolvers receive (types only).',
      from: { path: '^src/graphql/', pathNot: '^src/graphql/generated\\.ts$' },
      to: { path: REPOSITORY_LAYER },
    },
    {
      name: 'src-not-to-dev-dependencies',
      severity: 'error',
      comment: 'Production code must not need a devDependency (npm ci --omit=dev would break it). Type-only imports are erased.',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-non-package-json',
      severity: 'error',
      comment: 'Every npm package imported must be declared in package.json, not borrowed from a transitive install.',
      from: {},
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that does not resolve to a file or package is a typo or a deleted file.',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'no-orphans',
      severity: 'error',
      comment: 'A module nothing imports and that imports nothing is dead code (entry points import something).',
      from: { orphan: true, pathNot: ['\\.d\\.ts$', '(^|/)\\.[^/]+\\.(js|cjs|mjs|ts|json)$', '(^|/)[^/]+\\.config\\.(js|cjs|mjs|ts)$'] },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: ['node_modules'] },
    // The fixtures break the rules on purpose (test/dependency-rules.test.ts cruises them on their own).
    exclude: { path: ['^test/fixtures/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    skipAnalysisNotInRules: true,
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
