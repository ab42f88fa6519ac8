/** The CAM overlay panel: command `wsss.openCamOverlays` [run folder]. */
import type { CamContract } from '../../../protocol/webview/cam';
import type { PanelDefinition } from '../panelHost';
import { CamOverlays } from './camPanel';

export const camPanel: PanelDefinition<CamContract> = {
  viewType: 'wsss.camOverlays',
  command: 'wsss.openCamOverlays',
  title: 'CAM Overlays',
  script: 'cam',
  createHandler: (_rpc, env, runDir) => new CamOverlays(env, runDir),
};
