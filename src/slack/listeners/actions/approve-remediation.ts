// The Approve button of an approval message (action_id ACTION.approveRemediation, value: the
// request id). High-risk runbooks put a Slack confirm dialog in front of it.
import { ACTION } from '../../ids.js';
import type { ListenerDeps } from '../listener-deps.js';
import { decideRemediation } from './decide-remediation.js';

export function approveRemediation(deps: ListenerDeps) {
  return decideRemediation(deps, 'approve', ACTION.approveRemediation);
}
