// The fix buttons under an alert. A button's value is an opaque id of a stored recommendation
// (runbook, target and parameters as memwarden proposed them), never the parameters themselves:
// a click can only ask for what memwarden recommended, and an altered value matches nothing.
// A recommendation that could not become a valid request gets no button rather than one that
// would be refused when clicked.
import { alertMessageKey } from '../alerts/alert-notifier.js';
import type { AlertViewModel } from '../alerts/alert-view.js';
import { recommendationId } from '../store/remediation-flow.js';
import type { RemediationDeps } from './remediation.js';
import { checkParamValues } from './runbook-params.js';
import type { Runbook } from './runbook-schema.js';

export interface RecommendationButtonsContext {
  deps: Pick<RemediationDeps, 'db' | 'clock' | 'logger'>;
  byId: ReadonlyMap<string, Runbook>;
}

/** One id per recommendation of the alert, in order; '' = no button for it. */
export function recommendationButtonIds(ctx: RecommendationButtonsContext, vm: AlertViewModel): string[] {
  const { deps, byId } = ctx;
  const { db, clock, logger } = deps;
  const messageKey = alertMessageKey(vm);
  // vm.recommendations is every finding's recommendations in turn: owners[i] is the finding of the i-th.
  const owners = vm.findings.flatMap((finding) => finding.recommendations.map(() => finding));
  return vm.recommendations.map((rec, index) => {
    if (rec.runbook === null) return '';
    const runbook = byId.get(rec.runbook);
    if (!runbook?.enabled) return '';
    const finding = owners[index];
    const targetName = finding?.target.kind === 'container' ? finding.target.name : vm.target.containerName;
    if (!targetName) return '';
    const params = rec.params ?? {};
    if (!checkParamValues(runbook, params).ok) return '';
    try {
      return recommendationId(
        db,
        {
          dedupeKey: `${messageKey}|${index}|${runbook.id}|${targetName}|${JSON.stringify(params)}`,
          fingerprint: vm.fingerprint,
          alertMessageKey: messageKey,
          runbookId: runbook.id,
          targetContainerId: vm.target.containerName === targetName ? vm.target.containerId : null,
          targetName,
          params,
          title: rec.title,
          estimatedSavingsBytes: rec.estimatedSavingsBytes,
        },
        clock(),
      );
    } catch (err) {
      logger.error({ err, fingerprint: vm.fingerprint }, 'A recommendation button could not be stored; the alert goes out without it');
      return '';
    }
  });
}
