/** The image input of every encoder graph: [N, 3, S, S] float32, already preprocessed. */
export const PIXEL_INPUT = 'pixel_values';
