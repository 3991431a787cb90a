// Owns which layer types take several inputs (graph-spec nodes with more than one input).
export const MULTI_INPUT_LAYERS: ReadonlySet<string> = new Set(['concatenate', 'add', 'multiply', 'average', 'subtract', 'distance', 'maskedMean']);
