/**
 * Typed-array views of a model's or data's fields, made once and re-made only when the WASM memory grows. Each
 * embind getter (`model.geom_type`, ...) builds a new view at a cost of several microseconds, which adds up to a
 * sizeable share of a small frame when every pass fetches its arrays; growth detaches the old buffer, and a
 * detached view reads length 0 (zero-length fields are simply fetched again).
 */
export class LiveViews<Source extends object> {
  private readonly views = new Map<keyof Source, ArrayLike<number>>();

  constructor(private readonly source: Source) {}

  get<View extends ArrayLike<number>>(name: keyof Source): View {
    const cached = this.views.get(name);
    if (cached !== undefined && cached.length !== 0) return cached as View;
    const view = this.source[name] as unknown as View;
    this.views.set(name, view);
    return view;
  }
}
