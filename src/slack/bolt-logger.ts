// Bolt (and the Web API and Socket Mode clients it builds) log through @slack/logger's Logger
// interface: positional arguments, a settable level and name. This adapter sends those lines to
// a pino child `{ component: 'bolt' }`, so they share our format, level and redaction.
import { format } from 'node:util';
import { type Logger as BoltLogger, LogLevel } from '@slack/bolt';
import type { Logger } from '../log/logger.js';

type PinoLevel = 'error' | 'warn' | 'info' | 'debug';

const TO_PINO: Record<LogLevel, PinoLevel> = {
  [LogLevel.ERROR]: 'error',
  [LogLevel.WARN]: 'warn',
  [LogLevel.INFO]: 'info',
  [LogLevel.DEBUG]: 'debug',
};

/** pino's level as the nearest Bolt level (Bolt knows only four). */
export function boltLevelOf(pinoLevel: string): LogLevel {
  switch (pinoLevel) {
    case 'trace':
    case 'debug':
      return LogLevel.DEBUG;
    case 'info':
      return LogLevel.INFO;
    case 'warn':
      return LogLevel.WARN;
    default:
      // error, fatal, silent: Bolt has nothing quieter than error; pino keeps its own level.
      return LogLevel.ERROR;
  }
}

export function createBoltLogger(logger: Logger): BoltLogger {
  const child = logger.child({ component: 'bolt' });
  const write = (level: PinoLevel, args: unknown[]): void => {
    if (!child.isLevelEnabled(level)) return;
    // Bolt logs an error as `logger.error('Slack API error: ...', error)`: keep it structured.
    const err = args.find((arg): arg is Error => arg instanceof Error);
    const rest = err === undefined ? args : args.filter((arg) => arg !== err);
    const message = rest.length > 0 ? format(...rest) : (err?.message ?? '');
    if (err === undefined) child[level](message);
    else child[level]({ err }, message);
  };
  return {
    debug: (...args: unknown[]) => write('debug', args),
    info: (...args: unknown[]) => write('info', args),
    warn: (...args: unknown[]) => write('warn', args),
    error: (...args: unknown[]) => write('error', args),
    // Our configuration decides the level. Bolt calls setLevel only when getLevel() differs from
    // the logLevel it was given, and createSlackApp gives it getLevel(); a silent logger stays silent.
    setLevel: (level: LogLevel) => {
      if (child.level !== 'silent') child.level = TO_PINO[level];
    },
    getLevel: () => boltLevelOf(child.level),
    // One instance serves Bolt, the Web API client and the Socket Mode client: a name set by one
    // would mislabel the others' lines, so names are ignored (component: 'bolt' says enough).
    setName: () => {},
  };
}
