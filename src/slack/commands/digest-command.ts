// `/mem digest`: the daily digest of the last 24 hours, now, only for the one who asked (the
// chart goes with the scheduled digest only: an ephemeral answer cannot carry a file).
import { digestNotice } from '../../digest/digest-notice.js';
import { slackMessage } from '../render/render-notice.js';
import { message, section } from '../render/command-common.js';
import { type CommandContext, type CommandReply, ephemeral } from './command-context.js';

export const DIGEST_UNAVAILABLE = 'The digest is not available in this memwarden: it needs the history store of `memwarden run`.';

export function digestCommand({ services }: CommandContext): CommandReply {
  if (!services.digest) return ephemeral(message(`memwarden: ${DIGEST_UNAVAILABLE}`, [section(DIGEST_UNAVAILABLE)]));
  return ephemeral(slackMessage(digestNotice(services.digest())));
}
