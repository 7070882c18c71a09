#!/usr/bin/env node
// The vmx-conform command: TypeScript sources run through tsx, no build step.
require('tsx/cjs');
require('../src/cli/main.ts').main(process.argv);
