// Owns the registry of architectures: how the backbone is shared between the tasks.
import { Registry } from '../registry';
import { cgc } from './cgc';
import { crossStitch } from './cross-stitch';
import { dselectK } from './dselect-k';
import { hard } from './hard';
import { mmoe } from './mmoe';
import { mtan } from './mtan';
import { ple } from './ple';
import { soft } from './soft';
import type { ArchitectureDescriptor } from './types';

export const architectures = new Registry<ArchitectureDescriptor>('architecture')
  .register(hard)
  .register(soft)
  .register(crossStitch)
  .register(mmoe)
  .register(cgc)
  .register(ple)
  .register(dselectK)
  .register(mtan);

export type { ArchitectureDescriptor, ArchitectureContext, Features } from './types';
