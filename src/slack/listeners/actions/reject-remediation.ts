// The Reject button of an approval message (action_id ACTION.rejectRemediation, value: the
// request id). An approver rejects it for everyone; the requester may always withdraw their own.
import { ACTION } from '../../ids.js';
import type { ListenerDeps } from '../listener-deps.js';
import { decideRemediation } from './decide-remediation.js';

export function rejectRemediation(deps: ListenerDeps) {
  return decideRemediation(deps, 'reject', ACTION.rejectRemediation);
}
