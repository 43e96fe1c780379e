/**
 * Theia (HF `TheiaModel` layout): a DeiT-configured ViT backbone under `backbone.model.` (no pooler) and one
 * 'lconv' translator head per teacher under `translator.translator_heads.<teacher id, '.' -> '_'>.`:
 *   pad.1            ConvTranspose2d(C, C, 3)           weight [C, C, 3, 3]
 *   adapter.0/3/6    LayerNorm over [ch, H, W]          weight/bias [ch, H, W]
 *   adapter.1/4      16x16 target: Conv2d [Ch, C|Ch, 3, 3]; 64x64 target: ConvTranspose2d [C|Ch, Ch, 3, 3]
 *   adapter.8        Linear(Ch -> C_t)                  weight [C_t, Ch]
 * with Ch = int(C * translator_hidden_size_factor). Heads are mapped to `translators.<teacher id>.<rest>`.
 */
import type { TranslatorSpec } from '../vit_spec.js';
import type { JsonObject } from './config_json.js';
import { numberField } from './config_json.js';
import type { WeightRequest } from './weight_mapping.js';

export const THEIA_BACKBONE_PREFIX = 'backbone.model.';
export const THEIA_TRANSLATOR_PREFIX = 'translator.translator_heads.';

/** Teachers and their feature shapes from config.json `target_feature_sizes`. */
export function parseTeachers(config: JsonObject, context: string): TranslatorSpec[] {
  const sizes = config.target_feature_sizes;
  if (sizes === null || typeof sizes !== 'object' || Array.isArray(sizes)) {
    throw new Error(`${context}: target_feature_sizes must map teacher ids to [C, H, W]`);
  }
  return Object.entries(sizes as Record<string, unknown>).map(([teacherId, shape]) => {
    if (!Array.isArray(shape) || shape.length !== 3 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
      throw new Error(`${context}: target_feature_sizes["${teacherId}"] must be [C, H, W] positive integers, got ${JSON.stringify(shape)}`);
    }
    const [c, h, w] = shape as [number, number, number];
    if (h !== w || (h !== 16 && h !== 64)) {
      throw new Error(`${context}: teacher "${teacherId}" grid ${h}x${w} is not supported (lconv heads target 16x16 or 64x64)`);
    }
    return { teacherId, targetShape: [c, h, w] };
  });
}

/** Weight requests for every translator head, given the backbone width C. */
export function mapTranslatorKeys(config: JsonObject, teachers: TranslatorSpec[], C: number, context: string): WeightRequest[] {
  const translatorType = config.translator_type ?? 'lconv';
  if (translatorType !== 'lconv') {
    throw new Error(`${context}: translator_type ${JSON.stringify(translatorType)} is not supported (supported: "lconv")`);
  }
  const Ch = Math.trunc(C * numberField(config, 'translator_hidden_size_factor', 1, context, 'positive'));
  if (Ch < 1) throw new Error(`${context}: translator_hidden_size_factor gives ${Ch} hidden channels`);
  const requests: WeightRequest[] = [];
  for (const { teacherId, targetShape } of teachers) {
    const [Ct, H] = targetShape;
    const stored = `${THEIA_TRANSLATOR_PREFIX}${teacherId.replace(/\./g, '_')}.`;
    const add = (rest: string, storedShape: number[]): void => {
      requests.push({ canonical: `translators.${teacherId}.${rest}`, key: `${stored}${rest}`, storedShape });
    };
    const affine = (rest: string, shape: number[]): void => {
      add(`${rest}.weight`, shape);
      add(`${rest}.bias`, shape);
    };
    add('pad.1.weight', [C, C, 3, 3]);
    add('pad.1.bias', [C]);
    affine('adapter.0', [C, 16, 16]);
    if (H === 16) {
      add('adapter.1.weight', [Ch, C, 3, 3]);
      affine('adapter.3', [Ch, 16, 16]);
      add('adapter.4.weight', [Ch, Ch, 3, 3]);
      affine('adapter.6', [Ch, 16, 16]);
    } else {
      add('adapter.1.weight', [C, Ch, 3, 3]);
      affine('adapter.3', [Ch, 31, 31]);
      add('adapter.4.weight', [Ch, Ch, 3, 3]);
      affine('adapter.6', [Ch, 64, 64]);
    }
    add('adapter.1.bias', [Ch]);
    add('adapter.4.bias', [Ch]);
    add('adapter.8.weight', [Ct, Ch]);
    add('adapter.8.bias', [Ct]);
  }
  return requests;
}
