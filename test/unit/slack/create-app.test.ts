// createSlackApp: the transport the configuration selects, the Web API URL, Bolt logging through
// pino, and a clear error for a configuration that selects nothing.
import { HTTPReceiver, SocketModeReceiver } from '@slack/bolt';
import { LogLevel } from '@slack/bolt';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/logger.js';
import { boltLevelOf, createBoltLogger } from '../../../src/slack/bolt-logger.js';
import { createSlackApp, HTTP_EVENTS_PATH, SlackSetupError, slackMode } from '../../../src/slack/create-app.js';
import { MAX_BODY_BYTES } from '../../../src/slack/http-receiver.js';
import { API_URL, BOT_IDENTITY, captureLogger, expectRespond, FakeReceiver, makeServices, slashCommand, testConfig, type TestServices, useNock } from './bolt-test-kit.js';

useNock();

let services: TestServices | undefined;
afterEach(() => {
  services?.close();
  services = undefined;
});

describe('slackMode', () => {
  it('Socket Mode with an app token (even with a signing secret too), HTTP with only a signing secret', () => {
    expect(slackMode(testConfig().slack)).toBe('socket');
    expect(slackMode(testConfig({ signingSecret: 'shhh-secret' }).slack)).toBe('socket');
    expect(slackMode(testConfig({ appToken: undefined, signingSecret: 'shhh-secret' }).slack)).toBe('http');
  });

  it('a bot token without either is a clear startup error', () => {
    const config = testConfig({ appToken: undefined });
    expect(() => slackMode(config.slack)).toThrow(SlackSetupError);
    expect(() => slackMode(config.slack)).toThrow(
      'SLACK_BOT_TOKEN is set but neither SLACK_APP_TOKEN (Socket Mode) nor SLACK_SIGNING_SECRET (HTTP mode) is: set one of them (see "Set up in Slack" in the README)',
    );
    services = makeServices({ config });
    const error = (() => {
      try {
        createSlackApp({ config, logger: captureLogger().logger, services, identity: BOT_IDENTITY });
      } catch (err) {
        return err;
      }
    })();
    expect(error).toBeInstanceOf(SlackSetupError);
    expect(error).toMatchObject({ code: 'slack_setup' });
  });

  it('without a bot token there is no Slack app at all', () => {
    expect(() => slackMode(testConfig({ botToken: undefined }).slack)).toThrow('SLACK_BOT_TOKEN is not set');
  });
});

describe('createSlackApp', () => {
  it('builds a Socket Mode app pointed at the configured Web API, without connecting', () => {
    services = makeServices();
    const app = createSlackApp({ config: services.config, logger: captureLogger().logger, services, identity: BOT_IDENTITY });
    expect(Reflect.get(app, 'receiver')).toBeInstanceOf(SocketModeReceiver);
    expect(app.client.slackApiUrl).toBe(API_URL);
  });

  it('builds an HTTP app on the configured port at /slack/events', () => {
    const config = testConfig({ appToken: undefined, signingSecret: 'shhh-secret', port: 3456 });
    services = makeServices({ config });
    const app = createSlackApp({ config, logger: captureLogger().logger, services, identity: BOT_IDENTITY });
    const receiver = Reflect.get(app, 'receiver') as HTTPReceiver;
    expect(receiver).toBeInstanceOf(HTTPReceiver);
    expect(Reflect.get(receiver, 'port')).toBe(3456);
    expect(Reflect.get(receiver, 'endpoints')).toEqual([HTTP_EVENTS_PATH]);
    // Bolt's own limit is 4 MB; the request guard in front of it is tested over real HTTP
    // (test/integration/slack-http.test.ts).
    expect(Reflect.get(receiver, 'bodyLimit')).toBe(MAX_BODY_BYTES);
  });

  it('takes the bot identity checkSlackSetup found: no auth.test of its own, neither when built nor on the first event', async () => {
    services = makeServices();
    const receiver = new FakeReceiver();
    createSlackApp({ config: services.config, logger: captureLogger().logger, services, identity: BOT_IDENTITY, receiver });
    // No auth.test mock exists: a call would fail the test (useNock).
    const responded = expectRespond();
    expect(await receiver.send(slashCommand('help'))).toEqual([undefined]);
    await responded;
  });

  it('sends Bolt\'s own log lines to pino as component "bolt", errors structured', () => {
    services = makeServices();
    const { logger, lines } = captureLogger();
    const app = createSlackApp({ config: services.config, logger, services, identity: BOT_IDENTITY, receiver: new FakeReceiver() });
    app.logger.warn('Could not determine the type of an incoming event.', 'No listeners will be called.');
    app.logger.error('Slack API error: invalid_blocks', new Error('An API error occurred: invalid_blocks'));
    const bolt = lines.filter((line) => line.component === 'bolt');
    expect(bolt.at(-2)).toMatchObject({ level: 40, msg: 'Could not determine the type of an incoming event. No listeners will be called.' });
    expect(bolt.at(-1)).toMatchObject({ level: 50, msg: 'Slack API error: invalid_blocks', err: { message: 'An API error occurred: invalid_blocks', type: 'Error' } });
  });
});

describe('createBoltLogger', () => {
  it('maps levels both ways and leaves a silent logger silent', () => {
    expect(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].map(boltLevelOf)).toEqual([
      LogLevel.DEBUG,
      LogLevel.DEBUG,
      LogLevel.INFO,
      LogLevel.WARN,
      LogLevel.ERROR,
      LogLevel.ERROR,
      LogLevel.ERROR,
    ]);
    const lines: string[] = [];
    const silent = createBoltLogger(createLogger({ level: 'silent', format: 'json', isTty: false, destination: { write: (line: string) => void lines.push(line) } }));
    silent.setLevel(LogLevel.DEBUG);
    silent.error('x');
    expect(lines).toEqual([]);
    const { logger, lines: captured } = captureLogger();
    const bolt = createBoltLogger(logger);
    expect(bolt.getLevel()).toBe(LogLevel.DEBUG);
    bolt.setLevel(LogLevel.WARN);
    bolt.info('dropped');
    bolt.warn('kept', { a: 1 });
    expect(captured.map((line) => line.msg)).toEqual(['kept { a: 1 }']);
  });
});
