// One handler per /mem subcommand; this picks it.
import { alertsCommand } from './alerts-command.js';
import type { CommandContext, CommandReply } from './command-context.js';
import { containersCommand } from './containers-command.js';
import { diagnoseCommand } from './diagnose-command.js';
import { digestCommand } from './digest-command.js';
import { helpCommand } from './help-command.js';
import { historyCommand } from './history-command.js';
import type { MemCommand } from './parse-mem-command.js';
import { remediationCommand } from './remediation-commands.js';
import { silenceCommand } from './silence-command.js';
import { statusCommand } from './status-command.js';
import { topCommand } from './top-command.js';
import { unsilenceCommand } from './unsilence-command.js';

export async function dispatchMemCommand(command: MemCommand, context: CommandContext): Promise<CommandReply> {
  switch (command.kind) {
    case 'help':
      return helpCommand();
    case 'status':
      return statusCommand(command, context);
    case 'top':
      return topCommand(command, context);
    case 'containers':
      return containersCommand(context);
    case 'diagnose':
      return diagnoseCommand(command, context);
    case 'history':
      return historyCommand(command, context);
    case 'alerts':
      return alertsCommand(context);
    case 'silence':
      return silenceCommand(command, context);
    case 'unsilence':
      return unsilenceCommand(command, context);
    case 'run':
    case 'runbooks':
    case 'audit':
    case 'remediation':
      return remediationCommand(command, context);
    case 'digest':
      return digestCommand(context);
  }
}
