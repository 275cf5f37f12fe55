/**
 * The graphql module as Mercurius loads it (CommonJS). graphql ships both builds; where imports are resolved
 * by a bundler (vitest) an ESM `import from 'graphql'` is a second copy, whose functions refuse the schema
 * Mercurius built with the first ("Cannot use GraphQLSchema from another module or realm"). The compiled
 * reads work on that schema, so they take their functions from the same copy.
 */
import { createRequire } from 'node:module';

export const graphql = createRequire(import.meta.url)('graphql') as typeof import('graphql');
