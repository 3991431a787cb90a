// Owns learning-rate schedules: a pure function of the global step, with optional linear warm-up.
import { component, Registry, type ComponentDef, type ComponentInput, type Descriptor } from '../registry';
import { int, num, opts } from '../util/options';

export interface ScheduleContext {
  baseLearningRate: number;
  stepsPerEpoch: number;
  totalSteps: number;
}
/** Learning rate for a 0-based global step. */
export type Schedule = (step: number) => number;
export type ScheduleDescriptor = Descriptor<ComponentInput, Schedule, ScheduleContext>;

/** A schedule with typed options: `create` receives them validated, defaults filled. */
const schedule = <O>(d: ComponentDef<O, Schedule, ScheduleContext>): ScheduleDescriptor => component(d);

const warmup = int({
  minimum: 0,
  default: 0,
  description: 'Steps of linear warm-up from 0 to the base learning rate, before the schedule starts',
});

function withWarmup(steps: number, base: number, after: Schedule): Schedule {
  return (s) => (s < steps ? (base * (s + 1)) / steps : after(s - steps));
}

export const constantSchedule: ScheduleDescriptor = schedule({
  type: 'constant',
  description: 'The base learning rate throughout',
  options: opts({ warmupSteps: warmup }),
  create: (c, ctx) => withWarmup(c.warmupSteps, ctx.baseLearningRate, () => ctx.baseLearningRate),
});

export const stepSchedule: ScheduleDescriptor = schedule({
  type: 'step',
  description: 'Multiply the learning rate by gamma every stepEpochs epochs',
  options: opts({
    warmupSteps: warmup,
    stepEpochs: int({ minimum: 1, default: 10, description: 'Epochs between decays' }),
    gamma: num({ exclusiveMinimum: 0, maximum: 1, default: 0.1, description: 'Decay factor' }),
  }),
  create: (c, ctx) =>
    withWarmup(c.warmupSteps, ctx.baseLearningRate, (s) => ctx.baseLearningRate * Math.pow(c.gamma, Math.floor(s / ctx.stepsPerEpoch / c.stepEpochs))),
});

export const cosineSchedule: ScheduleDescriptor = schedule({
  type: 'cosine',
  description: 'Cosine decay from the base rate to minLearningRate over the training steps after warm-up (Loshchilov & Hutter 2017, no restarts)',
  options: opts({
    warmupSteps: warmup,
    minLearningRate: num({ minimum: 0, default: 0, description: 'Learning rate reached at the last step' }),
  }),
  create(c, ctx) {
    const span = Math.max(1, ctx.totalSteps - c.warmupSteps);
    return withWarmup(c.warmupSteps, ctx.baseLearningRate, (s) => {
      const p = Math.min(1, s / span);
      return c.minLearningRate + 0.5 * (ctx.baseLearningRate - c.minLearningRate) * (1 + Math.cos(Math.PI * p));
    });
  },
});

export const schedules = new Registry<ScheduleDescriptor>('schedule').register(constantSchedule).register(stepSchedule).register(cosineSchedule);
