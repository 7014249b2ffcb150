package ember.tensor.dnn

import org.bytedeco.dnnl.global.dnnl._
import org.slf4j.LoggerFactory

/**
 * The compute precision of the oneDNN layers (convolutions, inner products, RNNs): float32, or bf16 mixed
 * precision as PyTorch's CPU autocast does it: those layers take bf16 copies of their inputs and weights and
 * accumulate in float32, while the master weights, their gradients and the optim methods' state stay float32.
 *
 * bf16 only pays where the CPU computes in it (AVX512-BF16 or AMX; oneDNN would otherwise emulate it slowly, or
 * not at all on AVX2), so a request for bf16 is resolved once against oneDNN's own ISA query
 * (`dnnl_get_effective_cpu_isa`, not /proc/cpuinfo): on a CPU without it, or when oneDNN is not in use
 * (`EMBER_KERNELS=jvm`, or no natives for the platform), training falls back to float32 and says so in the log.
 * The choice is JVM-wide (set by `Optimizer.setMixedPrecision`, and by the DistriOptimizer's tasks on each
 * executor from the driver's [[requested]] mode); kernels read [[active]] when they build their primitives and
 * keep one set of primitives per mode.
 */
object MixedPrecision {
  private val log = LoggerFactory.getLogger(getClass)

  /** A compute precision by name: "fp32" or "bf16". */
  sealed abstract class Mode(val name: String) { override def toString: String = name }
  case object Float32 extends Mode("fp32")
  case object BFloat16 extends Mode("bf16")

  /** The mode named `name` ("fp32"/"float32", "bf16"/"bfloat16", any case). */
  def parse(name: String): Mode = Option(name).map(_.trim.toLowerCase) match {
    case Some("fp32" | "float32") => Float32
    case Some("bf16" | "bfloat16") => BFloat16
    case _ => throw new IllegalArgumentException(s"mixed precision must be 'bf16' or 'fp32', got ${
      if (name == null) "null" else s"'$name'"}")
  }

  /** What a request became: the effective mode and, when it differs from the requested one, why. */
  final case class Resolution(requested: Mode, effective: Mode, reason: String)

  /** oneDNN's name for the instruction set it uses on this CPU, e.g. "avx2" or "avx512_core_amx". */
  def cpuIsa: String = if (!Dnn.enabled) "unknown (oneDNN not in use)" else {
    val isa = dnnl_get_effective_cpu_isa()
    Seq(dnnl_cpu_isa_avx512_core_amx_fp16 -> "avx512_core_amx_fp16", dnnl_cpu_isa_avx512_core_amx -> "avx512_core_amx",
      dnnl_cpu_isa_avx512_core_fp16 -> "avx512_core_fp16", dnnl_cpu_isa_avx512_core_bf16 -> "avx512_core_bf16",
      dnnl_cpu_isa_avx512_core_vnni -> "avx512_core_vnni", dnnl_cpu_isa_avx512_core -> "avx512_core",
      dnnl_cpu_isa_avx2_vnni_2 -> "avx2_vnni_2", dnnl_cpu_isa_avx2_vnni -> "avx2_vnni", dnnl_cpu_isa_avx2 -> "avx2",
      dnnl_cpu_isa_avx -> "avx", dnnl_cpu_isa_sse41 -> "sse41")
      .collectFirst { case (mask, name) if (isa & mask) == mask => name }.getOrElse(f"0x$isa%x")
  }

  /** Whether oneDNN runs bf16 natively here (AVX512-BF16 or AMX); false when oneDNN is not in use. */
  def cpuHasBf16: Boolean = Dnn.enabled && {
    val isa = dnnl_get_effective_cpu_isa()
    (isa & dnnl_cpu_isa_avx512_core_bf16) == dnnl_cpu_isa_avx512_core_bf16
  }

  /** The mode `requested` becomes on this machine. */
  def resolve(requested: Mode): Resolution = requested match {
    case Float32 => Resolution(Float32, Float32, "")
    case BFloat16 if !Dnn.enabled => Resolution(BFloat16, Float32,
      "bf16 mixed precision needs the oneDNN kernels, which are not in use (EMBER_KERNELS=jvm or no natives): training in float32")
    case BFloat16 if !cpuHasBf16 => Resolution(BFloat16, Float32,
      s"bf16 mixed precision requested, but this CPU has no AVX512-BF16 or AMX (oneDNN's ISA: $cpuIsa): training in float32")
    case BFloat16 => Resolution(BFloat16, BFloat16, "")
  }

  @volatile private var current: Mode = Float32
  @volatile private var asked: Mode = Float32

  /** The effective mode the kernels use now. */
  def active: Mode = current

  /** The mode last asked for (what the DistriOptimizer passes on: each executor resolves it on its own CPU). */
  def requested: Mode = asked

  /** The data type the oneDNN convolutions and inner products compute in: bf16 in bf16 mode, else f32. */
  private[dnn] def computeType: org.bytedeco.dnnl.memory.data_type =
    if (current == BFloat16) org.bytedeco.dnnl.memory.data_type.bf16 else org.bytedeco.dnnl.memory.data_type.f32

  /**
   * Makes `name` the requested mode of this JVM unless it already is (a training task on an executor, given the
   * driver's [[requested]] mode: resolved and logged once per executor, on its own CPU).
   */
  def adopt(name: String): Unit = { val m = parse(name); if (m != asked) synchronized { if (m != asked) set(name) } }

  /** Resolves `name` on this machine, makes the result [[active]] and logs it (a warning when it fell back). */
  def set(name: String): Resolution = synchronized {
    val r = resolve(parse(name))
    if (r.effective != r.requested) log.warn(r.reason)
    else log.info(s"Ember compute precision: ${r.effective}${if (r.effective == BFloat16) s" (oneDNN ISA $cpuIsa)" else ""}")
    current = r.effective
    asked = r.requested
    r
  }
}
