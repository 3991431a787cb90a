// Owns the registry of architectures: how the backbone is shared between the tasks.
import { Registry } from '../registry';
import { cgcArchitecture } from './cgc';
import { crossStitchArchitecture } from './cross-stitch';
import { dselectKArchitecture } from './dselect-k';
import { hardArchitecture } from './hard';
import { mmoeArchitecture } from './mmoe';
import { mtanArchitecture } from './mtan';
import { pleArchitecture } from './ple';
import { softArchitecture } from './soft';
import type { ArchitectureDescriptor } from './types';

export const architectures = new Registry<ArchitectureDescriptor>('architecture')
  .register(hardArchitecture)
  .register(softArchitecture)
  .register(crossStitchArchitecture)
  .register(mmoeArchitecture)
  .register(cgcArchitecture)
  .register(pleArchitecture)
  .register(dselectKArchitecture)
  .register(mtanArchitecture);

export type { ArchitectureDescriptor, ArchitectureContext, Features } from './types';
