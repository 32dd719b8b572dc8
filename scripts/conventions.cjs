#!/usr/bin/env node
// The operator CLI's launcher (package.json `bin`): runs the built CLI, and builds it only when it is
// missing or older than its sources, so that a command answers at once instead of rebuilding every time.
'use strict';
const { execFileSync } = require('node:child_process');
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const entry = join(root, 'dist/apps/cli/src/main.js');

function newestSource(dir) {
  let newest = 0;
  for (const item of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, item.name);
    if (item.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (item.name.endsWith('.ts') && !item.name.endsWith('.spec.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

const sources = [join(root, 'apps/cli/src'), ...readdirSync(join(root, 'libs')).map((lib) => join(root, 'libs', lib, 'src'))];
const stale = !existsSync(entry) || sources.some((dir) => existsSync(dir) && newestSource(dir) > statSync(entry).mtimeMs);
if (stale) {
  process.stderr.write('Building the CLI (once, until its sources change)…\n');
  execFileSync(process.execPath, [require.resolve('@nestjs/cli/bin/nest.js'), 'build', 'cli'], { cwd: root, stdio: ['ignore', 2, 2] });
}
require(entry);
