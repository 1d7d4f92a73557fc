// Every Slack action_id, block_id and callback_id in one place: listeners, renderers and the
// manifest test all refer to these constants.
export const SLASH_COMMAND = '/mem';

export const ACTION = {
  /** Silence an alert; value "<fingerprint>|<duration>" (validated on click, never trusted). */
  silenceAlert: 'alert_silence',
  /** Request a recommended remediation from an alert; value is an opaque id read back from the store. */
  requestRemediation: 'remediation_request',
  /** Approve / reject a remediation request; value is the opaque request id. */
  approveRemediation: 'remediation_approve',
  rejectRemediation: 'remediation_reject',
} as const;

export const BLOCK = {
  alertActions: 'alert_actions',
  approvalActions: 'approval_actions',
} as const;
