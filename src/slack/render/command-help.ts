// `/mem help`, the short usage shown after a malformed command, and the one constant text a
// user sees when something failed (the details go to the log, never to Slack).
import { SLASH_COMMAND } from '../ids.js';
import { type Subcommand, SUBCOMMANDS, USAGE, type UsageError } from '../commands/parse-mem-command.js';
import { escapeMrkdwn, type SlackMessage } from './block-kit-limits.js';
import { context, header, message, section, userText } from './command-common.js';

export const COMMAND_ERROR_TEXT = 'Sorry, memwarden could not answer that just now. The details are in its log; please try again in a minute.';

export function renderHelp(): SlackMessage {
  const lines = SUBCOMMANDS.map((sub) => `• ${usageLine(sub)}`);
  return message(`memwarden: ${SLASH_COMMAND} ${SUBCOMMANDS.join(', ')}`, [
    header(`${SLASH_COMMAND}: memory of this host, its containers and processes`),
    section(lines.join('\n')),
    context('Answers are only visible to you, except `status public`.'),
  ]);
}

export function renderUsageError(error: UsageError): SlackMessage {
  const usage =
    error.subcommand === null
      ? `Subcommands: ${SUBCOMMANDS.map((sub) => `\`${sub}\``).join(', ')}`
      : `Usage: ${usageLine(error.subcommand)}`;
  return message(`memwarden: ${error.message}. Try ${SLASH_COMMAND} help`, [
    section(`⚠️ ${userText(error.message, 300)}\n${usage}`),
    context(`\`${SLASH_COMMAND} help\` lists every subcommand.`),
  ]);
}

/** A command or click from another workspace or organisation (a Slack Connect channel): refused. */
export function renderOtherWorkspaceRefused(): SlackMessage {
  const sentence =
    'memwarden answers only people in the Slack workspace it is installed in, and this came from another workspace or organisation (a channel shared with Slack Connect).';
  return message(`memwarden: nothing was done. ${sentence}`, [section(`⚠️ *Nothing was done.* ${sentence}`)]);
}

export function renderCommandError(): SlackMessage {
  return message(COMMAND_ERROR_TEXT, [section(`⚠️ ${COMMAND_ERROR_TEXT}`)]);
}

/** "`/mem top [n]` — the n largest ...": the syntax as code, escaped (`<container>` is not a link). */
function usageLine(sub: Subcommand): string {
  const [syntax, ...what] = USAGE[sub].split(' — ');
  return `\`${SLASH_COMMAND} ${escapeMrkdwn(syntax ?? sub)}\` — ${escapeMrkdwn(what.join(' — '))}`;
}
