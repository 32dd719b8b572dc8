// Opening PGlite (its WASM) or an app can take over 5 s on a loaded 2-core machine (seen in CI: a
// beforeAll opening PGlite timed out): hooks and tests that touch a store get 30 s unless they say
// otherwise. Unit tests keep Jest's 5 s.
jest.setTimeout(30_000);
