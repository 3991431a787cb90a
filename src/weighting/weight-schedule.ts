// Owns loss-weight schedules for static weighting: tasks.<t>.weight as a function of the epoch
// (1-based) instead of a number — constant, a linear or cosine ramp between two epochs, or a list of
// steps. The trainer asks for the weights of the epoch it is in; the schema lives next to the math.

import type { WeightSchedule } from '../spec/types';

export type { WeightSchedule };

const w = { type: 'number', minimum: 0 };
const epoch = { type: 'integer', minimum: 1 };
const ramp = (type: string, how: string) => ({
  type: 'object',
  additionalProperties: false,
  required: ['type', 'from', 'to', 'startEpoch', 'endEpoch'],
  description: `${how}: \`from\` up to startEpoch, \`to\` from endEpoch on`,
  properties: { type: { const: type }, from: w, to: w, startEpoch: epoch, endEpoch: epoch },
});

/** JSON Schema of a schedule (the spec's tasks.<t>.weight accepts a number or this). */
export const weightScheduleSchema = {
  oneOf: [
    { type: 'object', additionalProperties: false, required: ['type', 'value'], description: 'The same weight every epoch', properties: { type: { const: 'constant' }, value: w } },
    ramp('linear', 'Linear ramp'),
    ramp('cosine', 'Cosine ramp (half a cosine period)'),
    {
      type: 'object',
      additionalProperties: false,
      required: ['type', 'initial', 'steps'],
      description: '`initial`, then each step\'s value from its epoch on',
      properties: {
        type: { const: 'steps' },
        initial: w,
        steps: { type: 'array', minItems: 1, items: { type: 'object', additionalProperties: false, required: ['epoch', 'value'], properties: { epoch, value: w } } },
      },
    },
  ],
};

/** The weight in epoch `e` (1-based). */
export function weightAt(s: WeightSchedule, e: number): number {
  switch (s.type) {
    case 'constant':
      return s.value;
    case 'steps':
      return [...s.steps].sort((a, b) => a.epoch - b.epoch).reduce((v, st) => (e >= st.epoch ? st.value : v), s.initial);
    default: {
      if (e <= s.startEpoch) return s.from;
      if (e >= s.endEpoch) return s.to;
      const p = (e - s.startEpoch) / (s.endEpoch - s.startEpoch);
      const f = s.type === 'linear' ? p : (1 - Math.cos(Math.PI * p)) / 2;
      return s.from + (s.to - s.from) * f;
    }
  }
}
