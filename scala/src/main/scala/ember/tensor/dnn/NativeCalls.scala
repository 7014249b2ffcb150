package ember.tensor.dnn

import org.bytedeco.javacpp.{Loader, LongPointer, Pointer}
import org.bytedeco.opencl.User_func_Pointer

/**
 * The few plain C calls Ember needs from libraries that have no Java binding for them: `omp_set_num_threads`
 * (oneDNN's OpenMP runtime, libgomp), `openblas_set_num_threads`, and reading an exported pointer variable.
 *
 * Why this way: the presets do not bind these functions, Java 17 has no stable foreign-function API, and a
 * JNI library of our own would need a C compiler in the build. JavaCPP can call a function pointer through a
 * generated stub, and the OpenCL preset has one of type `void (*)(void*)`. On x86-64 (System V) the first
 * integer or pointer argument travels in the same register (rdi), so calling `void f(int)` through that stub
 * with a "pointer" whose address is the integer is exactly the C call `f(n)` (the stub reads the function from the
 * first word of the struct a JavaCPP function pointer points at). The natives are linux-x86_64
 * only, so this holds wherever the call can happen at all.
 */
private[tensor] object NativeCalls {

  /** A pointer whose address is the given value: the integer argument of a `void f(int)` call. */
  private final class RawWord(value: Long) extends Pointer { address = value }

  /** Address of an exported symbol of a library loaded globally (RTLD_GLOBAL), if any. */
  def symbol(name: String): Option[Long] = Option(Loader.addressof(name)).map(_.address).filter(_ != 0L)

  /** Calls `void name(int n)`; false when the symbol is not loaded. */
  def callVoidInt(name: String, n: Int): Boolean = symbol(name) match {
    case Some(addr) =>
      // JavaCPP's function-pointer object points at a small struct whose first member is the C function pointer
      val cell = new LongPointer(2L)
      cell.put(0L, addr).put(1L, 0L)
      new User_func_Pointer(cell).call(new RawWord(n.toLong))
      true
    case None => false
  }

  /** The value of an exported pointer variable (e.g. OpenBLAS's `gotoblas`). */
  def readPointerVariable(name: String): Option[Long] = symbol(name).map(a => new LongPointer(new RawWord(a)).get())
}
