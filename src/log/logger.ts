// pino, JSON by default and pretty on a TTY. Secrets are redacted by path so that a config
// object, an HTTP header or a Slack client option can be logged without leaking a token.
import { createRequire } from 'node:module';
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

export const REDACT_PATHS = [
  'botToken',
  'appToken',
  'signingSecret',
  'token',
  '*.botToken',
  '*.appToken',
  '*.signingSecret',
  '*.token',
  'config.slack.botToken',
  'config.slack.appToken',
  'config.slack.signingSecret',
  'headers.authorization',
  'headers["x-slack-signature"]',
  '*.headers.authorization',
  '*.headers["x-slack-signature"]',
];

export interface LoggerOptions {
  level: string;
  format: 'auto' | 'json' | 'pretty';
  /** Where log lines go; stderr by default so stdout stays for command output. */
  destination?: DestinationStream;
  isTty?: boolean;
}

export function createLogger(options: LoggerOptions): Logger {
  const base = {
    level: options.level,
    base: { name: 'memwarden' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { err: pino.stdSerializers.err },
  };
  const tty = options.isTty ?? process.stderr.isTTY === true;
  const wantPretty = options.format === 'pretty' || (options.format === 'auto' && tty);
  const destination = options.destination ?? pino.destination({ fd: 2, sync: true });
  if (wantPretty) {
    const pretty = loadPretty();
    // pino-pretty is a dev dependency: a production image logs JSON even on a TTY.
    if (pretty) return pino(base, pretty({ colorize: tty, destination: 2, sync: true, ignore: 'pid,hostname,name', translateTime: 'SYS:HH:MM:ss' }));
  }
  return pino(base, destination);
}

type PrettyFactory = (options: Record<string, unknown>) => DestinationStream;

function loadPretty(): PrettyFactory | null {
  try {
    // Synchronous on purpose: the in-process stream avoids pino's transport worker thread
    // (several MB of RSS), and logger creation stays synchronous.
    const require = createRequire(import.meta.url);
    return require('pino-pretty') as PrettyFactory;
  } catch {
    return null;
  }
}
