// The engine's health in the status bar (starting / ready (device) / busy / crashed / stopped / restricted)
// and the context keys menus use: wsss.engineState, wsss.engineReady. Clicking it does what helps next:
// start or restart the engine, or show its log while busy.
import * as vscode from 'vscode';
import type { EngineStateChange } from './engineProcess';
import { describeEngine, primaryDevice, type EngineHost } from './engineHost';

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
    item.backgroundColor = undefined;
    switch (state) {
      case 'restricted':
        item.text = '$(shield) WSSS';
        item.tooltip = 'Untrusted workspace: run folders can be viewed, the engine is not started.';
        item.command = 'workbench.trust.manage';
        return;
      case 'stopped':
        item.text = '$(circle-outline) WSSS';
        item.tooltip = 'WSSS engine not running (it starts when a run or a panel needs it). Click to start it.';
        item.command = 'wsss.restartEngine';
        return;
      case 'starting':
        item.text = '$(loading~spin) WSSS: starting';
        item.tooltip = 'Starting the WSSS engine (importing PyTorch)…';
        item.command = 'wsss.showEngineLog';
        return;
      case 'crashed':
        item.text = '$(error) WSSS: engine stopped';
        item.tooltip = `${change.error?.message ?? 'The engine stopped.'}\n\nClick to restart it.`;
        item.command = 'wsss.restartEngine';
        item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
        return;
      case 'ready': {
        const info = change.info;
        item.text = this.busy ? `$(sync~spin) WSSS: ${this.busy}` : `$(pass) WSSS: ${info ? primaryDevice(info) : 'ready'}`;
        item.tooltip = info ? `WSSS engine ready: ${describeEngine(info)}` : 'WSSS engine ready';
        item.command = 'wsss.showEngineLog';
      }
    }
  }
}
