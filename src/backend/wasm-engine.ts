// Owns a cheaper Engine.clone on the WASM backend. tfjs saves every tensor a gradient needs (each
// kernel's inputsToSave and outputsToSave) by cloning it through engine.runKernel('Identity') —
// scopes, kernel lookup, profiling hooks and output wrapping for a tensor that only shares its data:
// ~230 calls a ResNet-18 training step, ~70 a LeNet's (measured: 78 → 69 and 57 → 53 ms CPU per step
// at batch 256). On wasm, mtl's Identity shares the buffer anyway (wasm-identity.ts); this does the
// same directly — a new tensor on the same data, one more reference — and records the tape node
// tfjs's clone records (its gradient: Cast to float32), so tapes, tidy scopes and tensor counts are
// as before. Other backends, strings, and data not on the wasm heap keep tfjs's clone.
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { BACKEND } from './wasm-ops';

type Grad = (dy: tf.Tensor) => { x: () => tf.Tensor };

/** The Engine internals the clone uses (tfjs keeps them off its public type). */
interface EngineInternals {
  backendName: string;
  backend: BackendWasm;
  state: { activeScope: { name: string } };
  clone(x: tf.Tensor): tf.Tensor;
  makeTensorFromTensorInfo(info: tf.TensorInfo): tf.Tensor;
  addTapeNode(scope: string, inputs: tf.NamedTensorMap, outputs: tf.Tensor[], grad: Grad, saved: tf.Tensor[], attrs: object): void;
}

const toFloat: Grad = (dy) => ({ x: () => tf.engine().runKernel(tf.Cast, { x: dy }, { dtype: 'float32' }) as tf.Tensor });

let installed = false;

/** Installs the clone on tfjs's engine (once; it checks the backend at every call). */
export function installWasmClone(): void {
  if (installed) return;
  installed = true;
  const engine = tf.engine() as unknown as EngineInternals;
  const stock = engine.clone;
  engine.clone = function (this: EngineInternals, x: tf.Tensor): tf.Tensor {
    if (this.backendName !== BACKEND || x.dtype === 'string' || !this.backend.dataIdMap.has(x.dataId)) return stock.call(this, x);
    this.backend.incRef(x.dataId);
    const y = this.makeTensorFromTensorInfo({ dataId: x.dataId, shape: x.shape, dtype: x.dtype });
    this.addTapeNode(this.state.activeScope.name, { x }, [y], toFloat, [], {});
    return y;
  };
}
