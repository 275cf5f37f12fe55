/**
 * The dependency check bites: the project's own .dependency-cruiser.cjs, run over a fixture that breaks the rules
 * on purpose (test/fixtures/dependency-cycle), reports exactly those violations and nothing else.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseResult } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURE = path.join(ROOT, 'test/fixtures/dependency-cycle');

async function cruiseFixture(): Promise<ICruiseResult> {
  const options = await extractDepcruiseOptions(path.join(ROOT, '.dependency-cruiser.cjs'));
  // Run from the fixture folder, so its files are seen as src/...; the main run's exclusion of the fixtures
  // (a path relative to the repository root) then does not apply.
  const result = await cruise(
    ['src'],
    { ...options, baseDir: FIXTURE, validate: true, cache: false },
    {},
    { tsConfig: extractTSConfig(path.join(ROOT, 'tsconfig.json')) },
  );
  if (typeof result.output === 'string') throw new Error('expected a cruise result object, got a report string');
  return result.output;
}

describe('dependency rules (.dependency-cruiser.cjs)', () => {
  it('reports the cycle and every forbidden edge of the fixture, and nothing else', async () => {
    const result = await cruiseFixture();
    const found = result.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`).sort();

    expect(found).toEqual(
      [
        // The 2-file cycle (reported once), whose repository → service edge is forbidden on its own too.
        'no-circular: src/modules/registry/registry.repository.ts → src/modules/registry/registry.service.ts',
        'repository-not-to-service-or-resolvers: src/modules/registry/registry.repository.ts → src/modules/registry/registry.service.ts',
        // The core importing a repository (its zod import is allowed, so it is not reported).
        'core-is-pure: src/core/period.ts → src/modules/registry/registry.repository.ts',
        'module-not-to-other-module-repository: src/modules/benefits/benefits.service.ts → src/modules/registry/registry.repository.ts',
        // The same edge breaks the broader rule: across modules, only services.
        'module-only-to-other-module-service: src/modules/benefits/benefits.service.ts → src/modules/registry/registry.repository.ts',
      ].sort(),
    );
    expect(result.summary.error).toBe(found.length);
    expect(result.summary.warn).toBe(0);
  });
});
