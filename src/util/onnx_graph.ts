/**
 * Writes ONNX graphs with onnx-proto: named values, float32/int64 initialisers, nodes with typed
 * attributes, and serialisation to model bytes that `InferenceSession.create(bytes)` accepts.
 */
import onnxPkg from 'onnx-proto';

const { onnx } = onnxPkg;

type NodeProto = onnxPkg.onnx.INodeProto;
type TensorProto = onnxPkg.onnx.ITensorProto;
type ValueInfoProto = onnxPkg.onnx.IValueInfoProto;
type AttributeProto = onnxPkg.onnx.IAttributeProto;

export const OPSET = 17;
/** ONNX Runtime's contrib operators (e.g. its fused `Attention`), opset 1 of their domain. */
export const MICROSOFT_DOMAIN = 'com.microsoft';
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;
const AttrType = onnx.AttributeProto.AttributeType;

/** A node attribute. Numbers are ambiguous in ONNX (int vs float), so the kind is explicit. */
export type Attr =
  | { int: number }
  | { ints: number[] }
  | { float: number }
  | { floats: number[] }
  | { string: string };

export const int = (v: number): Attr => ({ int: v });
export const ints = (v: number[]): Attr => ({ ints: v });
export const float = (v: number): Attr => ({ float: v });

/** A dimension of a graph input/output: a fixed size or a symbolic name (e.g. 'N'). */
export type Dim = number | string;

export class GraphBuilder {
  private readonly nodes: NodeProto[] = [];
  private readonly initializers: TensorProto[] = [];
  private readonly inputs: ValueInfoProto[] = [];
  private readonly outputs: ValueInfoProto[] = [];
  private readonly usedNames = new Set<string>();
  private counter = 0;
  /** Operator domains other than the default one that nodes use (each imported at version 1). */
  private readonly domains = new Set<string>();

  constructor(private readonly graphName: string) {}

  /** A fresh value name that starts with `hint`. */
  fresh(hint: string): string {
    let name = hint;
    while (this.usedNames.has(name)) name = `${hint}_${++this.counter}`;
    this.usedNames.add(name);
    return name;
  }

  input(name: string, dims: Dim[]): string {
    if (this.usedNames.has(name)) throw new Error(`GraphBuilder: input name '${name}' is already used`);
    this.usedNames.add(name);
    this.inputs.push(valueInfo(name, dims));
    return name;
  }

  /** Declares `value` as graph output `name` (through an Identity node, so any value can be exposed). */
  output(name: string, value: string, dims: Dim[]): void {
    if (this.usedNames.has(name)) throw new Error(`GraphBuilder: output name '${name}' is already used`);
    this.usedNames.add(name);
    this.nodes.push({ opType: 'Identity', input: [value], output: [name], name: `out_${name}` });
    this.outputs.push(valueInfo(name, dims));
  }

  /**
   * Declares `value`, the output of a node of this graph named with `op(..., hint = name)`, as graph output
   * `value` itself: no Identity node, so the kernel writes the output directly (one copy fewer than `output`).
   */
  outputValue(value: string, dims: Dim[]): void {
    if (!this.nodes.some((node) => node.output?.includes(value))) throw new Error(`GraphBuilder: '${value}' is not the output of a node`);
    if (this.outputs.some((o) => o.name === value)) throw new Error(`GraphBuilder: '${value}' is already an output`);
    this.outputs.push(valueInfo(value, dims));
  }

  /** A float32 initialiser; `data.length` must equal the product of `dims`. */
  floatTensor(hint: string, data: Float32Array, dims: number[]): string {
    const size = dims.reduce((a, b) => a * b, 1);
    if (size !== data.length) {
      throw new Error(`GraphBuilder: initialiser '${hint}' has ${data.length} values, dims [${dims}] need ${size}`);
    }
    const name = this.fresh(hint);
    this.initializers.push({
      name,
      dataType: FLOAT,
      dims,
      rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    });
    return name;
  }

  /** An int64 initialiser (shapes, axes, indices); dims [] makes a scalar. */
  int64Tensor(hint: string, values: number[], dims: number[] = [values.length]): string {
    const name = this.fresh(hint);
    this.initializers.push({ name, dataType: INT64, dims, int64Data: values });
    return name;
  }

  /** A float32 scalar constant. */
  scalar(hint: string, value: number): string {
    const name = this.fresh(hint);
    this.initializers.push({ name, dataType: FLOAT, dims: [], floatData: [value] });
    return name;
  }

  /** Appends a node with one output and returns the output's name; `domain` '' is the default ONNX one. */
  op(opType: string, inputs: string[], attrs: Record<string, Attr> = {}, hint = opType.toLowerCase(), domain = ''): string {
    return this.opMulti(opType, inputs, 1, attrs, hint, domain)[0]!;
  }

  opMulti(opType: string, inputs: string[], outputCount: number, attrs: Record<string, Attr> = {}, hint = opType.toLowerCase(), domain = ''): string[] {
    const outputs = Array.from({ length: outputCount }, (_, i) => this.fresh(outputCount === 1 ? hint : `${hint}_${i}`));
    if (domain !== '') this.domains.add(domain);
    this.nodes.push({
      opType,
      domain,
      input: inputs,
      output: outputs,
      name: `n${this.nodes.length}_${opType}`,
      attribute: Object.entries(attrs).map(([name, attr]) => attribute(name, attr)),
    });
    return outputs;
  }

  /** Serialised ModelProto (IR version 8, default domain opset 17, other domains used by nodes at version 1). */
  toBytes(): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: 'bench',
      opsetImport: [{ domain: '', version: OPSET }, ...[...this.domains].map((domain) => ({ domain, version: 1 }))],
      graph: {
        name: this.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function valueInfo(name: string, dims: Dim[]): ValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attribute(name: string, attr: Attr): AttributeProto {
  if ('int' in attr) return { name, type: AttrType.INT, i: attr.int };
  if ('ints' in attr) return { name, type: AttrType.INTS, ints: attr.ints };
  if ('float' in attr) return { name, type: AttrType.FLOAT, f: attr.float };
  if ('floats' in attr) return { name, type: AttrType.FLOATS, floats: attr.floats };
  return { name, type: AttrType.STRING, s: new TextEncoder().encode(attr.string) };
}
