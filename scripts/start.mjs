#!/usr/bin/env node
// `npm start`: install if needed, build (every time: the checkout may have changed), then run the
// CLI with the given flags.
import { spawn } from 'node:child_process';
import { ensureBuilt } from './ensure-installed.mjs';

ensureBuilt();
const child = spawn(process.execPath, ['dist/src/cli.js', ...process.argv.slice(2)], { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
