#!/usr/bin/env node
// Composition root: argv -> config -> logger -> adapters -> command. Nothing else in src/
// reads process.env or process.argv.
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Dockerode from 'dockerode';
import { auditCommand } from './cli/audit-command.js';
import { checkConfig } from './cli/check-config.js';
import { diagnoseCommand } from './cli/diagnose-command.js';
import { digestCommand } from './cli/digest-command.js';
import { type CliIo, EXIT, processIo } from './cli/cli-io.js';
import { parseCli, UsageError, usage } from './cli/parse-cli.js';
import { statusCommand, topCommand } from './cli/snapshot-command.js';
import { ConfigError } from './config/config-error.js';
import { type Env, loadConfig } from './config/load-config.js';
import { createLogger } from './log/logger.js';
import { runBot } from './run-bot.js';

export function readVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export async function main(argv: readonly string[], env: Env, io: CliIo): Promise<number> {
  let cli;
  try {
    cli = parseCli(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.err(`memwarden: ${err.message}\n\n${usage()}`);
    return EXIT.usage;
  }
  if (cli.help) {
    io.out(usage());
    return EXIT.ok;
  }
  if (cli.version) {
    io.out(readVersion());
    return EXIT.ok;
  }

  let loaded;
  try {
    loaded = loadConfig(env, cli.configFile);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.err(`memwarden: invalid configuration in ${err.message}`);
    return EXIT.usage;
  }
  const { config } = loaded;
  const color = process.stdout.isTTY === true && env.NO_COLOR === undefined;

  try {
    switch (cli.command) {
      case 'check-config':
        return checkConfig(loaded, io, cli.values.json === true);
      case 'status':
        return await statusCommand({ config, docker: new Dockerode(), io, color }, cli.values.json === true);
      case 'top':
        return await topCommand({ config, docker: new Dockerode(), io, color }, cli.values);
      case 'diagnose':
        return await diagnoseCommand({ config, docker: new Dockerode(), io, color }, cli.values.json === true);
      case 'audit':
        return auditCommand({ config, io, color }, cli.values);
      case 'digest':
        return await digestCommand({ config, docker: new Dockerode(), io, color }, cli.values);
      case 'run': {
        const logger = createLogger(config.log);
        return await runBot({ config, configFile: loaded.file, logger, docker: new Dockerode(), io, version: readVersion() });
      }
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`memwarden: ${err.message}\n\n${usage()}`);
      return EXIT.usage;
    }
    if (err instanceof ConfigError) {
      // An invalid runbook in commands/ stops start like an invalid config file.
      io.err(`memwarden: invalid configuration in ${err.message}`);
      return EXIT.usage;
    }
    const code = (err as { code?: unknown }).code;
    io.err(`memwarden: ${(err as Error).message}${typeof code === 'string' ? ` (${code})` : ''}`);
    return EXIT.failure;
  }
}

function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  process.exitCode = await main(process.argv.slice(2), process.env, processIo);
  // Everything has been closed; a socket or timer some library left behind must not keep a
  // stopped memwarden alive past Docker's grace period. Unref'd: a clean exit is not delayed.
  setTimeout(() => process.exit(), 2_000).unref();
}
