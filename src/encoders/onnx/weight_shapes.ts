/** The canonical weight names and shapes (vit_spec.ts) that `buildVitGraph` reads for a given spec. */
import { prefixPositions, type TranslatorSpec, type VitSpec } from '../vit_spec.js';

/**
 * name -> shape for every weight `spec` needs. `translatorHidden` is the translators' hidden width
 * (Theia: int(C * translator_hidden_size_factor)); defaults to the backbone width.
 */
export function vitWeightShapes(spec: VitSpec, translatorHidden = spec.hiddenSize): Map<string, number[]> {
  const C = spec.hiddenSize;
  const M = spec.mlpSize;
  const P = spec.patchSize;
  const shapes = new Map<string, number[]>();
  shapes.set('embed.cls', [C]);
  if (spec.distillationToken) shapes.set('embed.dist', [C]);
  if (spec.registerTokens > 0) shapes.set('embed.registers', [spec.registerTokens, C]);
  shapes.set('embed.pos', [prefixPositions(spec) + spec.posGrid * spec.posGrid, C]);
  shapes.set('embed.patch.weight', [C, 3, P, P]);
  if (spec.patchBias) shapes.set('embed.patch.bias', [C]);
  if (spec.preNorm) {
    shapes.set('pre_norm.weight', [C]);
    shapes.set('pre_norm.bias', [C]);
  }
  for (let i = 0; i < spec.numLayers; i++) {
    const p = `blocks.${i}`;
    for (const n of ['norm1', 'norm2']) {
      shapes.set(`${p}.${n}.weight`, [C]);
      shapes.set(`${p}.${n}.bias`, [C]);
    }
    for (const n of ['q', 'k', 'v']) {
      shapes.set(`${p}.attn.${n}.weight`, [C, C]);
      if (spec.qkvBias) shapes.set(`${p}.attn.${n}.bias`, [C]);
    }
    shapes.set(`${p}.attn.out.weight`, [C, C]);
    shapes.set(`${p}.attn.out.bias`, [C]);
    if (spec.layerScale) {
      shapes.set(`${p}.ls1`, [C]);
      shapes.set(`${p}.ls2`, [C]);
    }
    shapes.set(`${p}.mlp.fc1.weight`, [M, C]);
    shapes.set(`${p}.mlp.fc1.bias`, [M]);
    shapes.set(`${p}.mlp.fc2.weight`, [C, M]);
    shapes.set(`${p}.mlp.fc2.bias`, [C]);
  }
  shapes.set('final_norm.weight', [C]);
  shapes.set('final_norm.bias', [C]);
  if (spec.pooled === 'dense_tanh') {
    shapes.set('pooler.weight', [C, C]);
    shapes.set('pooler.bias', [C]);
  }
  for (const tr of spec.translators) {
    for (const [rest, shape] of translatorShapes(tr, C, translatorHidden)) shapes.set(`translators.${tr.teacherId}.${rest}`, shape);
  }
  return shapes;
}

function translatorShapes(tr: TranslatorSpec, C: number, Ch: number): [string, number[]][] {
  const [Ct, side] = tr.targetShape;
  const conv16 = side === 16;
  const mid = conv16 ? 16 : 31;
  return [
    ['pad.1.weight', [C, C, 3, 3]],
    ['pad.1.bias', [C]],
    ['adapter.0.weight', [C, 16, 16]],
    ['adapter.0.bias', [C, 16, 16]],
    ['adapter.1.weight', conv16 ? [Ch, C, 3, 3] : [C, Ch, 3, 3]],
    ['adapter.1.bias', [Ch]],
    ['adapter.3.weight', [Ch, mid, mid]],
    ['adapter.3.bias', [Ch, mid, mid]],
    ['adapter.4.weight', [Ch, Ch, 3, 3]],
    ['adapter.4.bias', [Ch]],
    ['adapter.6.weight', [Ch, side, side]],
    ['adapter.6.bias', [Ch, side, side]],
    ['adapter.8.weight', [Ct, Ch]],
    ['adapter.8.bias', [Ct]],
  ];
}
