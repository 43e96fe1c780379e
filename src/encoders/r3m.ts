/**
 * `r3m:DIR_OR_FILE`: R3M (facebookresearch/r3m) visual encoders, a torchvision ResNet-18/34/50 with fc removed, from
 * R3M's own `model.pt` (torch.save({'r3m': DataParallel(R3M).state_dict()}), read by the restricted unpickler) or a
 * safetensors copy. A folder is searched for model.pt, then model.safetensors.
 *
 * Keys: `module.convnet.*` (also `convnet.*` or bare torchvision names); R3M's language head (`module.lang_enc.*`,
 * `module.lang_rew.*`) and a torchvision `fc.*` are skipped. Depth, block type and widths come from the keys.
 *
 * Features: the average-pooled last stage, 512-d (ResNet-18/34) or 2048-d (ResNet-50), as R3M.forward returns them;
 * the last stage's 7x7 map is available as spatial tokens.
 *
 * Preprocessing: R3M.forward scales by 1/255 and applies ImageNet mean/std inside the model and never resizes, so the
 * caller picks the resize. The harness does what r3m's example and CortexBench's (eai-vc's) R3M transform do: resize
 * the shorter side to 256 (PIL bilinear on the uint8 frame), centre crop 224 (torchvision's rounding); on
 * CortexBench's 256x256 frames that is just the crop.
 */
import type { EncoderModel } from './encoder_model.js';
import { recipePreprocessor } from './preprocess/recipe_preprocessor.js';
import type { WeightRequest } from './hf/weight_mapping.js';
import { countLayers, readMappedWeights, shapeOf } from './hf/weight_mapping.js';
import { buildResNetGraph, expansion, hasDownsample, resnetOutputSide, type ResNetSpec } from './onnx/resnet_graph.js';
import { type PreprocessRecipe, torchvisionResizeCropRecipe } from './preprocess/processor_config.js';
import { openTensorFile, type TensorFile } from './tensor_file.js';
import { locateCheckpoint } from './torch/locate.js';

export const R3M_RECIPE: PreprocessRecipe = torchvisionResizeCropRecipe('r3m', 'bilinear');

const PREFIXES = ['module.convnet.', 'convnet.', ''];

function resnetSpec(file: TensorFile, prefix: string, context: string): ResNetSpec {
  const k = (rest: string): string => `${prefix}${rest}`;
  const stem = shapeOf(file, k('conv1.weight'), context);
  if (stem.length !== 4 || stem[1] !== 3 || stem[2] !== 7 || stem[3] !== 7) throw new Error(`${context}: ${k('conv1.weight')} must be [C, 3, 7, 7], got [${stem}]`);
  const block = file.entries.has(k('layer1.0.conv3.weight')) ? 'bottleneck' : 'basic';
  const stages = [1, 2, 3, 4].map((s) => ({
    blocks: countLayers(file.names(), k(`layer${s}.`), context),
    planes: shapeOf(file, k(`layer${s}.0.conv1.weight`), context)[0]!,
    stride: s === 1 ? 1 : 2,
  }));
  if (file.entries.has(k('layer5.0.conv1.weight'))) throw new Error(`${context}: a fifth ResNet stage (layer5) is not a torchvision ResNet`);
  return { family: 'r3m', imageSize: 224, block, stemChannels: stem[0]!, stages, batchNormEps: 1e-5 };
}

function weightRequests(spec: ResNetSpec, prefix: string): WeightRequest[] {
  const requests: WeightRequest[] = [];
  const convW = (name: string, out: number, inp: number, k: number): void => {
    requests.push({ canonical: `${name}.weight`, key: `${prefix}${name}.weight`, storedShape: [out, inp, k, k] });
  };
  const bn = (name: string, c: number): void => {
    for (const p of ['weight', 'bias', 'running_mean', 'running_var']) requests.push({ canonical: `${name}.${p}`, key: `${prefix}${name}.${p}`, storedShape: [c] });
  };
  convW('conv1', spec.stemChannels, 3, 7);
  bn('bn1', spec.stemChannels);
  let inChannels = spec.stemChannels;
  spec.stages.forEach((stage, s) => {
    const out = stage.planes * expansion(spec.block);
    for (let b = 0; b < stage.blocks; b++) {
      const p = `layer${s + 1}.${b}`;
      const blockIn = b === 0 ? inChannels : out;
      if (spec.block === 'basic') {
        convW(`${p}.conv1`, stage.planes, blockIn, 3);
        convW(`${p}.conv2`, stage.planes, stage.planes, 3);
      } else {
        convW(`${p}.conv1`, stage.planes, blockIn, 1);
        convW(`${p}.conv2`, stage.planes, stage.planes, 3);
        convW(`${p}.conv3`, out, stage.planes, 1);
        bn(`${p}.bn3`, out);
      }
      bn(`${p}.bn1`, stage.planes);
      bn(`${p}.bn2`, stage.planes);
      if (hasDownsample(spec, s, b)) {
        convW(`${p}.downsample.0`, out, blockIn, 1);
        bn(`${p}.downsample.1`, out);
      }
    }
    inChannels = out;
  });
  return requests;
}

/** Loads `r3m:PATH` (`id` is the full spec string). */
export function loadR3m(id: string, path: string): EncoderModel {
  const file = openTensorFile(locateCheckpoint(path, ['model.pt', 'model.safetensors'], id), { stateDictKey: 'r3m' });
  try {
    const prefix = PREFIXES.find((p) => file.entries.has(`${p}conv1.weight`));
    if (prefix === undefined) throw new Error(`${id} (${file.path}): no ResNet found (expected ${PREFIXES.map((p) => `${p}conv1.weight`).join(' or ')})`);
    const spec = resnetSpec(file, prefix, id);
    const owned = (key: string): boolean => key.startsWith(prefix) && !key.startsWith(`${prefix}fc.`) && !key.endsWith('.num_batches_tracked');
    const weights = readMappedWeights(file, weightRequests(spec, prefix), (key) => !owned(key), id);
    const C = spec.stages[3]!.planes * expansion(spec.block);
    const side = resnetOutputSide(spec);
    const blocks = spec.stages.reduce((a, s) => a + s.blocks, 0);
    const depth = (spec.block === 'basic' ? 2 : 3) * blocks + 2;
    return {
      id,
      architecture: `R3M ResNet-${depth}`,
      spec,
      weights,
      headWeights: new Map(),
      preprocess: recipePreprocessor(R3M_RECIPE, spec.imageSize),
      recipe: R3M_RECIPE,
      outputs: new Map([
        ['pooled', [C]],
        ['spatial', [side * side, C]],
        ['feature_map', [C, side, side]],
      ]),
      headOutputs: new Set(),
      pooled: 'pooled',
      spatial: 'spatial',
      policyInput: `pooled [${C}] (R3M's features: average-pooled last ResNet stage); spatial tokens [${side * side}, ${C}] also available`,
      buildGraph: () => buildResNetGraph(spec, weights),
    };
  } finally {
    file.close();
  }
}
