// Owns the registry of data recipes: one file per recipe, registered here.
import { Registry } from '../registry';
import { carsData } from './recipes/cars';
import { fashionAttributesData } from './recipes/fashion-attributes';
import { fashionPairsData } from './recipes/fashion-pairs';
import { intentSlotsData } from './recipes/intent-slots';
import { filesData } from './files';
import { moviesData } from './recipes/movies';
import { multifashionData } from './recipes/multifashion';
import type { DataDescriptor } from './types';

export const dataRecipes = new Registry<DataDescriptor>('data type');

dataRecipes.register(multifashionData);
dataRecipes.register(filesData);
dataRecipes.register(fashionPairsData);
dataRecipes.register(fashionAttributesData);
dataRecipes.register(carsData);
dataRecipes.register(moviesData);
dataRecipes.register(intentSlotsData);
