// Owns the training kernels the WASM backend lacks (Conv2DBackpropFilter, UnsortedSegmentSum).
// PLACEHOLDER: being written; the exported signature is the contract.

/** Registers the missing kernels for the 'wasm' backend. Idempotent. */
export function registerWasmTrainingKernels(): void {}
