// ESM + ts-jest: sources are TypeScript ES modules; relative imports carry `.js`, which the
// mapper strips so ts-jest resolves the `.ts` file. Two tiers: unit (*.spec.ts) and e2e
// (*.e2e-spec.ts, which start real processes or listen on port 0 and talk HTTP).
const shared = {
  extensionsToTreatAsEsm: ['.ts'],
  // Package imports (package.json "imports") resolve to the sources, as TypeScript's "types" condition does.
  moduleNameMapper: {
    '^#contracts$': '<rootDir>/contracts/src/index.ts',
    '^#common$': '<rootDir>/apps/common/src/index.ts',
    '^#common/testing/(.*)$': '<rootDir>/apps/common/src/testing/$1.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
    // mercurius -> @fastify/static -> content-disposition 3 is ESM-only; see the shim.
    '^content-disposition$': '<rootDir>/test/shims/content-disposition.cjs',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.json' }],
  },
  testEnvironment: 'node',
  rootDir: '.',
  roots: ['<rootDir>/apps', '<rootDir>/contracts', '<rootDir>/scenarios', '<rootDir>/test', '<rootDir>/load'],
};

export default {
  // A handle leaked by a failed test must not hold CI until its time limit: children a test
  // started are ended after each file (test/setup-after-env.ts); this is the last resort.
  forceExit: true,
  // A global option (Jest ignores it inside a project): an app that starts in a second here took
  // over 5 s, Jest's default, on a loaded CI machine. Tests that need longer say so themselves.
  testTimeout: 60000,
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['**/*.spec.ts'] },
    { ...shared, displayName: 'e2e', testMatch: ['**/*.e2e-spec.ts'], setupFilesAfterEnv: ['<rootDir>/test/setup-after-env.ts'] },
  ],
};
