// `/mem diagnose [container]`: the findings for the host, or those about one container (and the
// process groups running in it).
import type { Finding, Severity } from '../../model/finding.js';
import { renderUnknownContainer } from '../render/command-containers.js';
import { renderDiagnose } from '../render/command-diagnose.js';
import { type CommandContext, type CommandReply, ephemeral } from './command-context.js';
import type { MemCommand } from './parse-mem-command.js';

const SEVERITY_RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

export async function diagnoseCommand(command: Extract<MemCommand, { kind: 'diagnose' }>, { services }: CommandContext): Promise<CommandReply> {
  const snapshot = await services.takeSnapshot();
  let findings = services.diagnose(snapshot);
  if (command.container !== null) {
    const container = command.container;
    if (!snapshot.containers.some((c) => c.name === container)) return ephemeral(renderUnknownContainer(container, snapshot.containers.map((c) => c.name)));
    const groupsInside = new Set(snapshot.processGroups.filter((g) => g.containerName === container).map((g) => g.name));
    findings = findings.filter(
      (f) => (f.target.kind === 'container' && f.target.name === container) || (f.target.kind === 'group' && groupsInside.has(f.target.name)),
    );
  }
  return ephemeral(
    renderDiagnose({
      hostname: snapshot.hostname,
      takenAt: Date.parse(snapshot.takenAt),
      container: command.container,
      findings: sortFindings(findings),
    }),
  );
}

function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity]);
}
