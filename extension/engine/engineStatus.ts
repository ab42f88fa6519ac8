// The engine's health in the status bar (starting / ready (device) / busy / crashed / stopped / restricted)
// and the context keys menus use: wsss.engineState, wsss.engineReady. Clicking it does what helps next:
// start or restart the engine, or show its log while busy.
import * as vscode from 'vscode';
import type { EngineStateChange } from './engineProcess';
import { describeEngine, primaryDevice, type EngineHost } from './engineHost';

/** How the item looks in every state but ready: text, tooltip, and what a click does. */
const IDLE_LOOKS = {
  restricted: {
    text: '$(shield) WSSS',
    tooltip: 'Untrusted workspace: run folders can be viewed, the engine is not started.',
    command: 'workbench.trust.manage',
  },
  stopped: {
    text: '$(circle-outline) WSSS',
    tooltip: 'WSSS engine not running (it starts when a run or a panel needs it). Click to start it.',
    command: 'wsss.restartEngine',
  },
  starting: {
    text: '$(loading~spin) WSSS: starting',
    tooltip: 'Starting the WSSS engine (importing PyTorch)…',
    command: 'wsss.showEngineLog',
  },
  crashed: { text: '$(error) WSSS: engine stopped', tooltip: 'Click to restart it.', command: 'wsss.restartEngine' },
} as const;

export class EngineStatus implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('wsss.engine', vscode.StatusBarAlignment.Left, 50);
  private readonly disposables: vscode.Disposable[] = [];
  private busy: string | undefined;

  constructor(private readonly host: EngineHost) {
    this.item.name = 'WSSS Engine';
    this.disposables.push(
      this.item,
      host.engine.onDidChangeState((change) => this.render(change)),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.render()),
    );
    this.render();
    this.item.show();
  }

  /** Shows a run's progress ("clims 42%") instead of the idle state; undefined goes back to idle. */
  setBusy(text: string | undefined): void {
    this.busy = text;
    this.render();
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }

  private render(change: EngineStateChange = { state: this.host.engine.state, info: this.host.engine.info, error: this.host.engine.lastError }): void {
    const state = this.host.allowed ? change.state : 'restricted';
    void vscode.commands.executeCommand('setContext', 'wsss.engineState', state);
    void vscode.commands.executeCommand('setContext', 'wsss.engineReady', state === 'ready');
    const item = this.item;
    item.backgroundColor = state === 'crashed' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    if (state === 'ready') {
      const info = change.info;
      item.text = this.busy ? `$(sync~spin) WSSS: ${this.busy}` : `$(pass) WSSS: ${info ? primaryDevice(info) : 'ready'}`;
      const shared = this.host.engine.shared ? ` (the engine daemon, pid ${this.host.engine.pid ?? '?'}, shared by windows)` : '';
      item.tooltip = `WSSS engine ready${shared}${info ? `: ${describeEngine(info)}` : ''}`;
      item.command = 'wsss.showEngineLog';
      return;
    }
    const look = IDLE_LOOKS[state];
    item.text = look.text;
    item.tooltip = state === 'crashed' ? `${change.error?.message ?? 'The engine stopped.'}\n\n${look.tooltip}` : look.tooltip;
    item.command = look.command;
  }
}
