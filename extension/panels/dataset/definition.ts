/** The dataset browser as a panel: command `wsss.openDatasetBrowser` [root folder]. */
import type { DatasetContract } from '../../../protocol/webview/dataset';
import type { PanelDefinition } from '../panelHost';
import { DatasetBrowser } from './datasetPanel';

export const datasetPanel: PanelDefinition<DatasetContract> = {
  viewType: 'wsss.datasetBrowser',
  command: 'wsss.openDatasetBrowser',
  title: 'Dataset Browser',
  script: 'dataset',
  createHandler: (_rpc, env, root) => new DatasetBrowser(env, root),
};
