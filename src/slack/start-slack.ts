// The Slack end of `memwarden run`: in Slack mode, check the token and channels, start the Bolt
// app and deliver through the Web API; in console mode, print what would be posted.
import type { Logger } from '../log/logger.js';
import type { BotServices } from './bot-services.js';
import { checkSlackSetup, createSetupClient, hasFatal, type SetupProblem } from './check-token.js';
import { createSlackApp } from './create-app.js';
import { createConsoleSink } from './delivery/console-sink.js';
import type { MessageSink } from './delivery/message-sink.js';
import { createOutboxWebClient, createWebApiSink } from './delivery/web-api-sink.js';

export interface SlackEndpoint {
  mode: 'console' | 'slack';
  sink: MessageSink;
  /** Problems found at start; fatal ones mean memwarden must not start. */
  problems: SetupProblem[];
  stop(): Promise<void>;
}

export async function startSlack(options: { services: BotServices; logger: Logger; out: (text: string) => void }): Promise<SlackEndpoint> {
  const { services, logger } = options;
  const { slack } = services.config;
  if (!slack.botToken) {
    return { mode: 'console', sink: createConsoleSink(options.out), problems: [], stop: async () => {} };
  }
  const channels = [...new Set([slack.channels.default, slack.channels.warning, slack.channels.critical].filter((c): c is string => !!c))];
  const report = await checkSlackSetup(createSetupClient({ token: slack.botToken, ...(slack.apiUrl ? { apiUrl: slack.apiUrl } : {}), logger }), { channels });
  if (hasFatal(report)) return { mode: 'slack', sink: createConsoleSink(options.out), problems: report.problems, stop: async () => {} };

  const app = createSlackApp({ config: services.config, logger, services, ...(report.identity ? { identity: report.identity } : {}) });
  await app.start();
  const client = createOutboxWebClient({ token: slack.botToken, ...(slack.apiUrl ? { slackApiUrl: slack.apiUrl } : {}) });
  return {
    mode: 'slack',
    sink: createWebApiSink(client),
    problems: report.problems,
    stop: async () => {
      await app.stop();
    },
  };
}
