// The Bolt app: only wiring. Socket Mode when an app-level token is configured (no public
// endpoint needed), else HTTP on config.slack.port at /slack/events with request signing and the
// request guard of http-receiver.ts.
// Listeners live in listeners/, the work they do in commands/ and render/.
import { App, type Receiver, SocketModeReceiver } from '@slack/bolt';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import { createBoltLogger } from './bolt-logger.js';
import type { BotServices } from './bot-services.js';
import { createHttpReceiver } from './http-receiver.js';
import { registerListeners } from './listeners/index.js';
import { ownWorkspaceOnly } from './middleware/own-workspace.js';

/** Where Slack sends slash commands and interactions in HTTP mode (also the manifest's URLs). */
export const HTTP_EVENTS_PATH = '/slack/events';

export class SlackSetupError extends Error {
  readonly code = 'slack_setup';
  override readonly name = 'SlackSetupError';
}

/** The bot user behind the token, and its workspace, as auth.test reports them. */
export interface BotIdentity {
  botId: string;
  botUserId: string;
  /** The workspace memwarden is installed in: requests from any other are refused. */
  teamId: string;
  /** Its Enterprise Grid organisation, or null outside one. */
  enterpriseId: string | null;
}

export interface SlackAppDeps {
  config: Config;
  logger: Logger;
  services: BotServices;
  /** The bot's ids and workspace from checkSlackSetup's auth.test (so Bolt need not call it). */
  identity: BotIdentity;
  /** Tests: a receiver that feeds events through app.processEvent (no socket, no port). */
  receiver?: Receiver;
  /** Socket Mode: told when the WebSocket to Slack connects, reconnects or drops (for /healthz). */
  onConnection?: (connected: boolean, detail: string) => void;
}

export type SlackMode = 'socket' | 'http';

/** Which transport a configuration selects; throws SlackSetupError when it selects none. */
export function slackMode(slack: Config['slack']): SlackMode {
  if (!slack.botToken) {
    throw new SlackSetupError('SLACK_BOT_TOKEN is not set: memwarden runs in console mode without it, so no Slack app is created');
  }
  if (slack.appToken) return 'socket';
  if (slack.signingSecret) return 'http';
  throw new SlackSetupError(
    'SLACK_BOT_TOKEN is set but neither SLACK_APP_TOKEN (Socket Mode) nor SLACK_SIGNING_SECRET (HTTP mode) is: set one of them (see "Set up in Slack" in the README)',
  );
}

export function createSlackApp(deps: SlackAppDeps): App {
  const { config, logger, services } = deps;
  const { slack } = config;
  const mode = deps.receiver ? null : slackMode(slack);
  const boltLogger = createBoltLogger(logger);
  const common = {
    token: slack.botToken,
    logger: boltLogger,
    // Equal to the logger's own level, so Bolt leaves it alone (it calls setLevel otherwise).
    logLevel: boltLogger.getLevel(),
    clientOptions: slack.apiUrl ? { slackApiUrl: slack.apiUrl } : {},
    botId: deps.identity.botId,
    botUserId: deps.identity.botUserId,
  };

  let app: App;
  if (deps.receiver) {
    app = new App({ ...common, receiver: deps.receiver });
  } else if (mode === 'socket') {
    // Built here rather than by `socketMode: true` (same options Bolt would pass) to see its
    // client's connection events, which App keeps private.
    const receiver = new SocketModeReceiver({ appToken: slack.appToken ?? '', logger: boltLogger, logLevel: boltLogger.getLevel() });
    const report = deps.onConnection;
    if (report) {
      receiver.client.on('connected', () => report(true, 'Socket Mode connected'));
      receiver.client.on('reconnecting', () => report(false, 'Socket Mode reconnecting'));
      receiver.client.on('disconnected', () => report(false, 'Socket Mode disconnected'));
    }
    app = new App({ ...common, receiver });
  } else {
    // Built here rather than by `signingSecret: …` to put the request guard in front of Bolt's.
    const receiver = createHttpReceiver({ signingSecret: slack.signingSecret ?? '', port: slack.port, path: HTTP_EVENTS_PATH, logger: logger.child({ component: 'slack-http' }), boltLogger });
    app = new App({ ...common, receiver });
  }

  app.error(async (error) => {
    logger.error({ err: error, code: error.code, component: 'bolt' }, 'Slack event failed');
    // Rethrown so the receiver answers as Bolt intends (401 for authorization, 500 otherwise).
    throw error;
  });
  // Before every listener: another workspace's request reaches none of them.
  app.use(ownWorkspaceOnly({ identity: deps.identity, logger: logger.child({ component: 'slack' }) }));
  registerListeners(app, { services, logger: logger.child({ component: 'slack' }) });
  if (mode !== null) logger.debug({ mode, port: mode === 'http' ? slack.port : undefined }, 'Slack app created');
  return app;
}
