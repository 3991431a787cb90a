// Owns the registry of data recipes: one file per recipe, registered here.
import { Registry } from '../registry';
import { multifashion } from './multifashion';
import type { DataDescriptor } from './types';

export const dataRecipes = new Registry<DataDescriptor>('data type');

dataRecipes.register(multifashion);
