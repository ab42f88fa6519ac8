/** The mIoU report as a panel: command `wsss.openReport` [run folder], restored after a restart. */
import type { ReportContract } from '../../../protocol/webview/report';
import type { PanelDefinition } from '../panelHost';
import { runSearchRoots } from '../../runs/runFolder';
import { ReportSession } from './reportSession';
import { recentRunDirs } from './recentRuns';
import { listRunChoices } from './runReports';
import { VscodeRunWatcher } from './vscodeRunWatcher';

export const reportPanel: PanelDefinition<ReportContract> = {
  viewType: 'wsss.report',
  command: 'wsss.openReport',
  title: 'mIoU Report',
  script: 'report',
  createHandler: (rpc, env, runDir) => {
    const session = new ReportSession(
      {
        listRuns: () =>
          listRunChoices(runSearchRoots(env.runsDirectory?.(), env.workspaceFolders, env.runSearchFolders?.())),
        pickRunFolders: async () => {
          const picked = await env.pickFolder('Run folder to compare');
          return picked ? [picked] : [];
        },
        recentRuns: () => recentRunDirs(runSearchRoots(env.runsDirectory?.(), env.workspaceFolders)),
        watcher: new VscodeRunWatcher(),
      },
      runDir ? [runDir] : [],
    );
    session.attach({
      sendSnapshot: () => void rpc.sendSnapshot(),
      notifyMetrics: (m) => rpc.notify('report/metrics', m),
    });
    return session;
  },
};
