// Dense prediction: mean IoU against hand-computed cases (absent classes left out of the mean), and the
// transposed-convolution/upsampling/padding/cropping layers' output shapes.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { before, describe, it } from 'node:test';
import { layers } from '../../../src/layers';
import { meanIoU, meanIouMetric } from '../../../src/metrics/mean-iou';
import { useBackend } from '../../helpers/backend';

before(() => useBackend('cpu'));

describe('mean IoU', () => {
  it('hand-computed: gold [0,0,1,1,2,2], pred [0,1,1,1,2,0]', () => {
    // class 0: TP 1, union {0,1,5} = 3 → 1/3; class 1: TP 2, union {1,2,3} = 3 → 2/3; class 2: TP 1, union {4,5} = 2 → 1/2
    assert.ok(Math.abs(meanIoU([0, 0, 1, 1, 2, 2], [0, 1, 1, 1, 2, 0], 3) - (1 / 3 + 2 / 3 + 1 / 2) / 3) < 1e-12);
  });

  it('a class absent from gold and prediction is left out; one predicted but absent from gold counts 0', () => {
    assert.equal(meanIoU([0, 0, 1], [0, 0, 1], 3), 1); // class 2 absent: mean of classes 0 and 1
    assert.equal(meanIoU([0, 0, 0, 0], [0, 0, 0, 2], 3), (3 / 4 + 0) / 2); // class 2 only predicted: IoU 0
    assert.ok(Number.isNaN(meanIoU([], [], 3)));
  });

  it('the metric takes the argmax of each labelled row', () => {
    const f = meanIouMetric.create({}, { taskType: 'classification' });
    const yPred = Float32Array.from([0.9, 0.1, 0.2, 0.8, 0.6, 0.4]); // argmax 0, 1, 0
    assert.equal(f({ yTrue: Int32Array.from([0, 1, 1]), yPred, n: 3, predDim: 2 }), (1 / 2 + 1 / 2) / 2);
  });
});

describe('decoder layers', () => {
  const shapeOf = (type: string, options: Record<string, unknown>, input: number[]) => {
    const l = layers.get(type).create(options, { name: `t_${type}`, nextSeed: () => 1 } as never) as tf.layers.Layer;
    return l.computeOutputShape([null, ...input]);
  };
  it('conv2dTranspose with strides 2 doubles rows and cols; upSampling2d by [2, 3]; zeroPadding2d and cropping2d', () => {
    assert.deepEqual(shapeOf('conv2dTranspose', { filters: 4, kernelSize: 3, strides: 2, padding: 'same' }, [9, 9, 8]), [null, 18, 18, 4]);
    assert.deepEqual(shapeOf('upSampling2d', { size: [2, 3] }, [5, 4, 2]), [null, 10, 12, 2]);
    assert.deepEqual(shapeOf('zeroPadding2d', { padding: [1, 2] }, [5, 4, 2]), [null, 7, 8, 2]);
    assert.deepEqual(shapeOf('cropping2d', { cropping: 1 }, [5, 4, 2]), [null, 3, 2, 2]);
  });
});
