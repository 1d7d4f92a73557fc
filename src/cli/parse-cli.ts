// Command-line parsing with node:util parseArgs. Each command declares its own options, so an
// option that belongs to another command is an error, not silently ignored.
import { parseArgs, type ParseArgsConfig } from 'node:util';

type OptionSpec = NonNullable<ParseArgsConfig['options']>;

const GLOBAL_OPTIONS = {
  config: { type: 'string', short: 'c' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} satisfies OptionSpec;

export const COMMANDS = {
  run: { summary: 'run the bot: poll, alert, answer Slack (the default)', options: {} },
  status: { summary: 'host, containers and top process groups now', options: { json: { type: 'boolean' } } },
  top: {
    summary: 'process groups and processes by memory',
    options: { json: { type: 'boolean' }, n: { type: 'string', short: 'n' }, by: { type: 'string' } },
  },
  'check-config': { summary: 'validate the configuration and print it (secrets hidden)', options: { json: { type: 'boolean' } } },
  diagnose: { summary: 'why memory is gone, and what each fix would save', options: { json: { type: 'boolean' } } },
  audit: {
    summary: 'remediation audit log: who requested, approved and ran what',
    options: { json: { type: 'boolean' }, n: { type: 'string', short: 'n' } },
  },
  digest: {
    summary: 'the daily memory digest of the last 24 hours (--post: to Slack, --out FILE.png: its chart)',
    options: { post: { type: 'boolean' }, out: { type: 'string' } },
  },
} satisfies Record<string, { summary: string; options: OptionSpec }>;

export type CommandName = keyof typeof COMMANDS;

export interface ParsedCli {
  command: CommandName;
  configFile: string | undefined;
  help: boolean;
  version: boolean;
  values: Record<string, string | boolean | undefined>;
}

export class UsageError extends Error {
  readonly code = 'usage';
}

export function parseCli(argv: readonly string[]): ParsedCli {
  const first = argv[0];
  const hasCommand = first !== undefined && !first.startsWith('-');
  if (hasCommand && !(first in COMMANDS)) throw new UsageError(`unknown command "${first}"`);
  const command = (hasCommand ? first : 'run') as CommandName;
  const rest = hasCommand ? argv.slice(1) : argv;
  let parsed;
  try {
    parsed = parseArgs({
      args: [...rest],
      options: { ...GLOBAL_OPTIONS, ...COMMANDS[command].options },
      strict: true,
      allowPositionals: false,
    });
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
  const { config, help, version, ...values } = parsed.values as Record<string, string | boolean | undefined>;
  return {
    command,
    configFile: typeof config === 'string' ? config : undefined,
    help: help === true,
    version: version === true,
    values,
  };
}

export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(([name, spec]) => `  ${name.padEnd(width)}  ${spec.summary}`);
  return [
    'Usage: memwarden [command] [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Options:',
    '  -c, --config PATH  configuration file (default: $MEMWARDEN_CONFIG, else ./memwarden.yml if present)',
    '      --json         machine-readable output (status, top, check-config, diagnose, audit)',
    '  -n N               how many groups (top; default 15) or audit entries (audit; default 50) to show',
    '      --by KEY       sort by pss, rss or uss (top; default pss)',
    '      --post         post the digest and its chart to its Slack channel now (digest)',
    '      --out FILE     write the digest chart as a PNG (digest)',
    '  -h, --help         show this help',
    '  -V, --version      print the version',
    '',
    'Environment: SLACK_BOT_TOKEN, SLACK_APP_TOKEN, SLACK_SIGNING_SECRET, SLACK_API_URL, SLACK_CHANNEL,',
    '  PORT, MEMWARDEN_CONFIG, MEMWARDEN_DATA_DIR, MEMWARDEN_POLL_INTERVAL, LOG_LEVEL, LOG_FORMAT, DOCKER_HOST',
  ].join('\n');
}
