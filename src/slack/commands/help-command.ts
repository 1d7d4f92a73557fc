// `/mem help` (and `/mem` alone).
import { renderHelp } from '../render/command-help.js';
import { type CommandReply, ephemeral } from './command-context.js';

export function helpCommand(): CommandReply {
  return ephemeral(renderHelp());
}
