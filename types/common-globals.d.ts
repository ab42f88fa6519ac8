// The few globals that both the browser and Node provide, for code in common/ (typed by tsconfig.common.json
// with neither DOM nor Node types). Only this target reads this file; each side's own lib types the real ones.
declare type TimerHandle = { readonly __timer: unique symbol };
declare function setTimeout(callback: () => void, ms?: number): TimerHandle;
declare function clearTimeout(handle: TimerHandle | undefined): void;
