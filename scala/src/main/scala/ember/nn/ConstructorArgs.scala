package ember.nn

import java.lang.reflect.Constructor
import java.util.concurrent.ConcurrentHashMap

import scala.util.Try

import com.thoughtworks.paranamer.BytecodeReadingParanamer

/**
 * The public constructors of a class with their parameter NAMES and Scala default arguments, so that a
 * description `{"args": {"inputSize": 4, "outputSize": 2}}` is matched to a constructor by name: arguments
 * in another order land in the right place, and a parameter the description lacks takes its default.
 *
 * Java reflection sees `arg0`, `arg1` (scalac writes no MethodParameters attribute), so the names are read
 * from the class file's debug table by paranamer (which Spark ships; scalac keeps that table by default),
 * in microseconds; Scala's runtime reflection would do too but takes seconds to start in every JVM. A
 * default argument `i` is the companion object's method `<init>$default$i`; Scala allows defaults on one
 * constructor only, taken to be the one with the most parameters (the primary one). Looked up once per class.
 */
private[ember] object ConstructorArgs {

  /** One public constructor: its parameter names and, per parameter, its default value if it has one. */
  final case class Signature(constructor: Constructor[_], names: Seq[String], defaults: Seq[Option[() => AnyRef]]) {
    def types: Array[Class[_]] = constructor.getParameterTypes
  }

  private val paranamer = new BytecodeReadingParanamer()
  private val cache = new ConcurrentHashMap[Class[_], Seq[Signature]]()

  /** The public constructors of `cls` with names (those whose names cannot be read are left out). */
  def of(cls: Class[_]): Seq[Signature] = cache.computeIfAbsent(cls, c => read(c))

  /**
   * The signature whose parameter names include every name in `given` and whose other parameters all have
   * defaults; among several, the one with the fewest parameters. None when there is no such constructor.
   */
  def matching(cls: Class[_], given: Seq[String]): Option[Signature] =
    of(cls).filter { s =>
      given.forall(s.names.contains) && s.names.indices.forall(i => given.contains(s.names(i)) || s.defaults(i).isDefined)
    }.sortBy(_.names.length).headOption

  private def read(cls: Class[_]): Seq[Signature] = {
    val ctors = cls.getConstructors.toSeq
    val primary = if (ctors.isEmpty) -1 else ctors.map(_.getParameterCount).max
    val companion = Try(Class.forName(cls.getName + "$", true, cls.getClassLoader).getField("MODULE$").get(null)).toOption
    ctors.flatMap { ctor =>
      val names = Try(paranamer.lookupParameterNames(ctor, false).toSeq).getOrElse(Nil)
      if (names.length != ctor.getParameterCount || (names.nonEmpty && names.head.isEmpty)) None
      else Some(Signature(ctor, names, names.indices.map { i =>
        if (ctor.getParameterCount != primary) None
        else companion.flatMap(obj => Try(obj.getClass.getMethod("$lessinit$greater$default$" + (i + 1))).toOption
          .map(getter => () => getter.invoke(obj)))
      }))
    }
  }
}
