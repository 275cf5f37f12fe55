import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const SCHEMA_FOLDER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../schema');

/** The SDL contract: every schema/*.graphql file, common.graphql first (it declares Query and Mutation). */
export function loadSchemaText(): string {
  const files = readdirSync(SCHEMA_FOLDER)
    .filter((f) => f.endsWith('.graphql'))
    .sort((a, b) => (a === 'common.graphql' ? -1 : b === 'common.graphql' ? 1 : a.localeCompare(b)));
  return files.map((f) => readFileSync(path.join(SCHEMA_FOLDER, f), 'utf8')).join('\n');
}
