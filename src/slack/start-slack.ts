// The Slack end of `memwarden run`: in Slack mode, check the token and channels, start the Bolt
// app and deliver through the Web API; in console mode there is nothing to start.
import type { Logger } from '../log/logger.js';
import type { SlackLink } from '../ops/health.js';
import type { BotServices } from './bot-services.js';
import { checkSlackSetup, createSetupClient, hasFatal, type SetupProblem } from './check-token.js';
import { createSlackApp, SlackSetupError, slackMode } from './create-app.js';
import type { MessageSink } from '../delivery/sink.js';
import { createOutboxWebClient, createWebApiSink } from './delivery/web-api-sink.js';

export interface SlackEndpoint {
  mode: 'console' | 'slack';
  /** Slack's Web API; null in console mode and when Slack cannot be used (the console sink is the caller's). */
  sink: MessageSink | null;
  /** Problems found at start; fatal ones mean memwarden must not start. */
  problems: SetupProblem[];
  /** The connection to Slack now, for /healthz. */
  link(): SlackLink;
  stop(): Promise<void>;
}

export async function startSlack(options: { services: BotServices; logger: Logger; out: (text: string) => void }): Promise<SlackEndpoint> {
  const { services, logger } = options;
  const { slack } = services.config;
  if (!slack.botToken) {
    return { mode: 'console', sink: null, problems: [], link: () => ({ mode: 'console' }), stop: async () => {} };
  }
  let transport: ReturnType<typeof slackMode>;
  try {
    transport = slackMode(slack);
  } catch (err) {
    // A token without a transport is a configuration mistake: exit 2 with the sentence, like the others.
    if (!(err instanceof SlackSetupError)) throw err;
    return { mode: 'slack', sink: null, problems: [{ severity: 'fatal', message: err.message }], link: () => ({ mode: 'console' }), stop: async () => {} };
  }
  const channels = [...new Set([slack.channels.default, slack.channels.warning, slack.channels.critical].filter((c): c is string => !!c))];
  const report = await checkSlackSetup(createSetupClient({ token: slack.botToken, ...(slack.apiUrl ? { apiUrl: slack.apiUrl } : {}), logger }), { channels });
  let link: SlackLink = { mode: transport, connected: false, detail: 'not started' };
  if (hasFatal(report) || report.identity === null) return { mode: 'slack', sink: null, problems: report.problems, link: () => link, stop: async () => {} };

  const onConnection = (connected: boolean, detail: string) => {
    if (connected !== (link.mode !== 'console' && link.connected)) logger.info({ connected, detail }, 'Slack connection changed');
    link = { mode: transport, connected, detail };
  };
  const app = createSlackApp({ config: services.config, logger, services, onConnection, identity: report.identity });
  await app.start();
  // HTTP mode has no connection of its own: once the receiver listens, Slack can reach it.
  if (transport === 'http') link = { mode: 'http', connected: true, detail: `HTTP receiver listening on port ${slack.port}` };
  const client = createOutboxWebClient({ token: slack.botToken, ...(slack.apiUrl ? { slackApiUrl: slack.apiUrl } : {}) });
  return {
    mode: 'slack',
    sink: createWebApiSink(client, {
      onLimitProblems: (problems) => logger.error({ problems }, 'Rendered message breaks Block Kit limits; Slack may refuse it (the outbox then sends its text)'),
    }),
    problems: report.problems,
    link: () => link,
    stop: async () => {
      await app.stop();
    },
  };
}
