// A fix button under an alert (action_id "remediation_request:<n>", value: an opaque
// recommendation id the alert notifier stored when it rendered the message). The runbook,
// container and parameters are read back from the store, never from the click, and the request
// goes through the same checks as `/mem run`. The clicker is the requester and gets an ephemeral
// answer; the approval message goes to the channel of the alert.
import { ACTION } from '../../ids.js';
import { truncate } from '../../../format/truncate.js';
import type { ListenerDeps } from '../listener-deps.js';
import { remediationButton } from './remediation-button.js';

export function requestRemediation(deps: ListenerDeps) {
  return remediationButton(deps, {
    actionId: ACTION.requestRemediation,
    what: 'Remediation request button',
    handle: (remediation, click) =>
      remediation.requestFromRecommendation({ user: click.userId, recommendationId: click.value, channel: click.channel ?? deps.services.config.slack.channels.default ?? '' }),
    logFields: (answer, click) => ({ requestId: answer.requestId, value: truncate(click.value, 40) }),
  });
}
