/**
 * GraphQL's "Did you mean …?" hints name fields, types, arguments and enum values close to what was asked: a
 * way to read the schema name by name without introspection. Production answers without them.
 */
export const withoutSuggestions = (message: string): string => message.replace(/\s*Did you mean [^?]*\?\s*$/, '');
