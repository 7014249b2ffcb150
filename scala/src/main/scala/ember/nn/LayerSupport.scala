package ember.nn

import ember.tensor.Tensor

/** Shape checks and printing shared by Ember's layers (kept out of the layers so they stay short). */
private[nn] object LayerSupport {

  /**
   * `input` as a contiguous [N, C, H, W] batch: a [C, H, W] input becomes a batch of one.
   * `planes` is the required C, or -1 for any.
   */
  def batch4d(layer: String, input: Tensor, planes: Int): Tensor = {
    val c = if (planes < 0) "C" else planes.toString
    require((input.dim == 3 || input.dim == 4) && (planes < 0 || input.size(input.dim - 3) == planes),
      s"$layer: expected input of shape [batch, $c, height, width] or [$c, height, width], got ${input.shapeString}")
    val x = input.contiguous()
    if (x.dim == 3) x.view(1 +: x.shape) else x
  }

  /** Requires `gradOutput` to have the shape of `output` and returns it contiguous. */
  def gradLike(layer: String, gradOutput: Tensor, output: Tensor): Tensor = {
    require(gradOutput.nElement == output.nElement,
      s"$layer: gradOutput of shape ${gradOutput.shapeString} does not match the output shape ${output.shapeString}")
    gradOutput.contiguous()
  }

  /**
   * The one description of a layer or criterion from its configuration entries (`config`, constructor
   * arguments in order) and the defaults of the optional ones: an argument without a default is printed by
   * value while no earlier one was left out, an optional one as `name=value` when it differs from its default.
   */
  def describe(name: String, config: Seq[(String, Any)], defaults: Seq[(String, Any)]): String = {
    val d = defaults.toMap
    var positional = true
    val args = config.flatMap { case (k, v) =>
      d.get(k) match {
        case Some(default) => positional = false; if (same(v, default)) None else Some(s"$k=${Module.show(v)}")
        case None => Some(if (positional) Module.show(v) else s"$k=${Module.show(v)}")
      }
    }
    s"$name(${args.mkString(", ")})"
  }

  private def same(v: Any, default: Any): Boolean =
    if (v.isInstanceOf[Array[_]] || default.isInstanceOf[Array[_]]) java.util.Objects.deepEquals(v, default)
    else v == default // numbers compare by value (1 == 1.0)

  /**
   * A PyTorch-style description for what has no [[describe]]-able config (the int8 layers): positional values, then `name=value` for options that differ from
   * their default (`(name, value, default)`).
   */
  def repr(name: String, positional: Seq[Any], options: (String, Any, Any)*): String = {
    val opts = options.collect { case (k, v, d) if v != d => s"$k=${Module.show(v)}" }
    s"$name(${(positional.map(Module.show) ++ opts).mkString(", ")})"
  }
}
