// One runner for every kind of test; file suffixes say the kind (.unit / .int / .e2e).
const moduleNameMapper = {
  '^@lib/(domain|event-store|projections|application|contract)$': '<rootDir>/libs/$1/src',
  '^@lib/(domain|event-store|projections|application|contract)/(.*)$': '<rootDir>/libs/$1/src/$2',
};
// jose is ESM only: ts-jest turns its .js files into CommonJS like ours (Node itself require()s it at run time).
const transform = {
  '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  '/node_modules/jose/.+\\.js$': ['ts-jest', { tsconfig: { allowJs: true, module: 'commonjs' } }],
};
const transformIgnorePatterns = ['/node_modules/(?!jose/)'];
const base = {
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
  rootDir: __dirname,
  moduleNameMapper,
  transform,
  transformIgnorePatterns,
};
module.exports = {
  maxWorkers: 2,
  projects: [
    {
      ...base,
      displayName: 'unit',
      testMatch: ['<rootDir>/libs/**/*.unit.spec.ts', '<rootDir>/apps/**/*.unit.spec.ts', '<rootDir>/test/**/*.unit.spec.ts'],
    },
    {
      ...base,
      displayName: 'int',
      setupFilesAfterEnv: ['<rootDir>/test/support/store-timeout.ts'],
      testMatch: ['<rootDir>/libs/**/*.int.spec.ts', '<rootDir>/test/**/*.int.spec.ts'],
    },
    {
      ...base,
      displayName: 'e2e',
      setupFilesAfterEnv: ['<rootDir>/test/support/store-timeout.ts'],
      testMatch: ['<rootDir>/test/**/*.e2e.spec.ts'],
    },
  ],
};
