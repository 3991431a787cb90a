// Owns the registry of data recipes: one file per recipe, registered here.
import { Registry } from '../registry';
import { cars } from './recipes/cars';
import { fashionAttributes } from './recipes/fashion-attributes';
import { fashionPairs } from './recipes/fashion-pairs';
import { intentSlots } from './recipes/intent-slots';
import { files } from './files';
import { multifashion } from './recipes/multifashion';
import type { DataDescriptor } from './types';

export const dataRecipes = new Registry<DataDescriptor>('data type');

dataRecipes.register(multifashion);
dataRecipes.register(files);
dataRecipes.register(fashionPairs);
dataRecipes.register(fashionAttributes);
dataRecipes.register(cars);
dataRecipes.register(intentSlots);
