#!/usr/bin/env node
/**
 * `vipps-psp-emulator`: starts the platform. Every environment variable has an equivalent flag
 * (`PUBLIC_URL` ↔ `--public-url`); a flag wins over the variable.
 *
 * Output: logs go to stdout, human-readable when stdout is a terminal and JSON lines otherwise.
 * The start banner goes to stdout only when that is a terminal; otherwise to stderr, so a JSON
 * log stream stays pure JSON. Operating errors (port taken, database unusable, seed unreadable,
 * bad setting) are one line on stderr naming the setting, exit code 2, no stack.
 */
import { bannerLines } from './cli-banner.js';
import { runChecklistCommand } from './cli-checklist.js';
import { type CliArgs, helpText, parseCliArgs, version } from './cli-options.js';
import { type Config, ConfigError, parseConfig } from './config.js';
import { startPlatform } from './main.js';
import { OperatingError } from './operating-error.js';
import { DEMO_SEED_FILE } from './package-root.js';
import { resetDatabase } from './reset-database.js';
import { readSeedFile, type Seed, SeedError } from './seed.js';

/** One line (a seed may have one per problem) on stderr, exit code 2: an operating error, not a bug. */
function refuse(message: string): never {
  process.stderr.write(
    `${message
      .split('\n')
      .map((l) => `vipps-psp-emulator: ${l}`)
      .join('\n')}\n`,
  );
  process.exit(2);
}

async function prettyStream(): Promise<NodeJS.WritableStream> {
  const { default: pretty } = await import('pino-pretty');
  return pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', destination: 1 });
}

async function main(): Promise<void> {
  let args: CliArgs;
  let config: Config;
  try {
    args = parseCliArgs(process.argv.slice(2), process.env);
    if (args.action === 'help') {
      process.stdout.write(helpText());
      return;
    }
    if (args.action === 'version') {
      process.stdout.write(`${version()}\n`);
      return;
    }
    config = parseConfig(args.env);
  } catch (error) {
    // ConfigError names the variable; parseArgs throws TypeError for an unknown option.
    if (error instanceof ConfigError || error instanceof TypeError) refuse(`${error.message} (see --help)`);
    throw error;
  }
  let seed: Seed;
  try {
    seed = readSeedFile(config.seedFile ?? DEMO_SEED_FILE());
  } catch (error) {
    if (error instanceof SeedError) refuse(error.message);
    throw error;
  }
  const tty = process.stdout.isTTY === true;
  const say = (text: string) => (tty ? process.stdout : process.stderr).write(text);
  try {
    if (args.reset) {
      const removed = resetDatabase(config.databaseUrl);
      say(`--reset: ${removed.length > 0 ? `removed ${removed.join(', ')}` : 'the database was empty already'}\n`);
    }
    const running = await startPlatform(config, tty ? { logStream: await prettyStream() } : {});
    say(`${bannerLines(config, seed, running.url, running.platform.publicUrl()).join('\n')}\n`);
    const stop = async (signal: string) => {
      say(`\n${signal}: stopping\n`);
      await running.close();
      process.exit(0);
    };
    process.once('SIGINT', () => void stop('SIGINT'));
    process.once('SIGTERM', () => void stop('SIGTERM'));
  } catch (error) {
    if (error instanceof OperatingError || error instanceof SeedError) refuse(error.message);
    throw error;
  }
}

// Subcommands first; anything else starts the server.
if (process.argv[2] === 'checklist') process.exitCode = await runChecklistCommand(process.argv.slice(3));
else await main();
