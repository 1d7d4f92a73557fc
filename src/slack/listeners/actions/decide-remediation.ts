// What Approve and Reject share: the facade gets the request id from the button and the message
// it was on (a value moved to another message is refused). The value is never trusted: it is only
// ever an id, and the request (runbook, target, parameters) is read back from the store. Every
// refusal is an ephemeral answer to the clicker and changes nothing; the approval message itself
// is updated through the outbox for everyone.
import type { Decision } from '../../../model/remediation.js';
import { truncate } from '../../../format/truncate.js';
import type { ListenerDeps } from '../listener-deps.js';
import { remediationButton } from './remediation-button.js';

export function decideRemediation(deps: ListenerDeps, decision: Decision, actionId: string) {
  return remediationButton(deps, {
    actionId,
    what: `Remediation ${decision} button`,
    handle: (remediation, click) =>
      remediation.decide({ requestId: click.value, user: click.userId, decision, ...(click.messageTs !== undefined ? { messageTs: click.messageTs } : {}) }),
    logFields: (answer, click) => ({ requestId: answer.requestId ?? truncate(click.value, 40) }),
  });
}
