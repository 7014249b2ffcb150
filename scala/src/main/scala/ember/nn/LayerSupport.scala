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
   * A PyTorch-style description: positional values, then `name=value` for options that differ from
   * their default (`(name, value, default)`).
   */
  def repr(name: String, positional: Seq[Any], options: (String, Any, Any)*): String = {
    val opts = options.collect { case (k, v, d) if v != d => s"$k=${Module.show(v)}" }
    s"$name(${(positional.map(Module.show) ++ opts).mkString(", ")})"
  }
}
