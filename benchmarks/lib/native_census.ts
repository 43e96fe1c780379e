/**
 * A census of MuJoCo's native objects: every `MjModel` compiled and `MjData` made through the module from now on, and
 * which of them have not been deleted, with the bytes each holds on the WASM heap (the model's buffer; the data's
 * own buffer and arena). It wraps the module's constructors (for measurements and tests only; `stop()` unwraps them), so
 * a leak is named by class and size rather than inferred from the heap's size, which grows in steps.
 */
import type { MjData, MjModel, Mujoco } from '../../src/envs/mujoco.js';

export interface CensusCount {
  models: number;
  data: number;
  /** Heap bytes the live objects hold. */
  bytes: number;
}

export class NativeCensus {
  private readonly liveModels = new Map<MjModel, number>();
  private readonly liveData = new Map<MjData, number>();
  private readonly restore: () => void;

  constructor(readonly mj: Mujoco) {
    const census = this;
    const fromXml = mj.MjModel.from_xml_string;
    const DataClass = mj.MjData;
    const modelDelete = mj.MjModel.prototype.delete;
    const dataDelete = DataClass.prototype.delete;
    if (Object.hasOwn(mj.MjModel.prototype, 'delete') || Object.hasOwn(DataClass.prototype, 'delete')) {
      throw new Error('NativeCensus: another census is already counting this module; stop() it first');
    }
    const countedFromXml = function (this: unknown, ...args: Parameters<typeof fromXml>): MjModel {
      const model = fromXml.apply(this, args);
      if (model) census.liveModels.set(model, model.nbuffer);
      return model;
    };
    // embind dispatches overloads through a table it reads from the method it installed (`overloadTable`).
    for (const key of Reflect.ownKeys(fromXml)) {
      if (key !== 'length' && key !== 'name' && key !== 'prototype') Reflect.set(countedFromXml, key, Reflect.get(fromXml, key));
    }
    mj.MjModel.from_xml_string = countedFromXml as typeof fromXml;
    mj.MjModel.prototype.delete = function (this: MjModel): void {
      census.liveModels.delete(this);
      modelDelete.call(this);
    };
    mj.MjData = new Proxy(DataClass, {
      construct(target, args: [MjModel]): MjData {
        const data = Reflect.construct(target, args) as MjData;
        census.liveData.set(data, data.nbuffer + data.narena);
        return data;
      },
    });
    DataClass.prototype.delete = function (this: MjData): void {
      census.liveData.delete(this);
      dataDelete.call(this);
    };
    this.restore = () => {
      mj.MjModel.from_xml_string = fromXml;
      mj.MjData = DataClass;
      // `delete` is embind's, inherited by every class: the own overrides go and the inherited one shows again.
      Reflect.deleteProperty(mj.MjModel.prototype, 'delete');
      Reflect.deleteProperty(DataClass.prototype, 'delete');
    };
  }

  /** The objects made since the census began that are still alive. */
  live(): CensusCount {
    let bytes = 0;
    for (const b of this.liveModels.values()) bytes += b;
    for (const b of this.liveData.values()) bytes += b;
    return { models: this.liveModels.size, data: this.liveData.size, bytes };
  }

  stop(): void {
    this.restore();
  }
}
