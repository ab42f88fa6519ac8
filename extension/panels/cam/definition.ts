/** The CAM overlay panel: command `wsss.openCamOverlays` [run folder]. */
import type { CamContract } from '../../../protocol/webview/cam';
import type { PanelDefinition } from '../panelHost';
import { CamOverlays } from './camPanel';
import { WordCamCompare, type CamWordServices } from './wordCamCompare';

/** The panel, with the engine access its "training-free, this word" control uses. */
export function camPanelWith(words: CamWordServices): PanelDefinition<CamContract> {
  return {
    viewType: 'wsss.camOverlays',
    command: 'wsss.openCamOverlays',
    title: 'CAM Overlays',
    script: 'cam',
    createHandler: (_rpc, env, runDir) => new CamOverlays(env, runDir, new WordCamCompare(words)),
  };
}
