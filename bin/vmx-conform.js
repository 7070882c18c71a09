#!/usr/bin/env node
// The vmx-conform command: the TypeScript sources run under Node with tsx's loader (no build step).
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const main = path.join(__dirname, '..', 'src', 'cli', 'main.ts');
const r = spawnSync(process.execPath, ['--import', require.resolve('tsx'), main, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exitCode = r.status ?? 1;
