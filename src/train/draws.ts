// Owns "one set of random draws per step": every forward pass a step takes (one per task in parameter
// space, the diagnostics' extra passes, a head-only pass) sees the same dropout masks and starts from
// the same batch-norm moving statistics, so the step behaves as one forward pass would — the masks
// differ between steps, repeat under the same seed, and a resumed run draws what an uninterrupted one
// would (the global generator's state is checkpointed, src/util/global-random.ts).
import * as tf from '@tensorflow/tfjs';
import { globalRandomState, restoreGlobalRandom, seedGlobalRandom } from '../util/global-random';

/** tfjs-layers' variables as the model lists them (read/write, not tf.Variable). */
type LayerVar = tf.LayersModel['nonTrainableWeights'][number];

// Moving statistics of normalisation layers: the state a training forward pass writes besides the draws.
const MOVING = /moving_(mean|variance)$/;

export class StepDraws {
  private readonly start: number;
  private readonly temporary: boolean;
  private readonly stats: Array<{ v: LayerVar; value: tf.Tensor }>;
  private passes = 0;

  /** `multiPass`: the step may take more than one forward pass (then the moving statistics are saved). */
  constructor(model: tf.LayersModel, multiPass: boolean) {
    let s = globalRandomState();
    // Outside a training run (tests, the library) Math.random is not seeded: seed it for this step only.
    this.temporary = s === null;
    if (s === null) {
      s = Math.floor(Math.random() * 4294967296) >>> 0;
      seedGlobalRandom(0, s);
    }
    this.start = s;
    this.stats = multiPass ? model.nonTrainableWeights.filter((v) => MOVING.test(v.originalName)).map((v) => ({ v, value: tf.keep(v.read().clone()) })) : [];
  }

  /** Call before each forward pass: the second and later passes rewind the draws and the statistics. */
  pass(): void {
    if (this.passes++ === 0) return;
    seedGlobalRandom(0, this.start);
    for (const s of this.stats) s.v.write(s.value);
  }

  end(): void {
    tf.dispose(this.stats.map((s) => s.value));
    if (this.temporary) restoreGlobalRandom();
  }
}
