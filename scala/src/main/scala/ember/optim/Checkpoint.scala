package ember.optim

import java.io.{File, FileNotFoundException}
import java.nio.file.{Files, StandardCopyOption}

import ember.io.{ModelFile, ModelFileException}
import ember.nn.Module
import ember.tensor.Tensor

/** A checkpoint read back: the model, the optim method with its state loaded, and the training position. */
final case class LoadedCheckpoint(model: Module, optimMethod: OptimMethod, position: TrainingPosition)

/**
 * Checkpoints in Ember's model format (never Java serialization): in the checkpoint directory, iteration
 * `i` writes `model.<i>.ember` (the model file) and `optimMethod.<i>.safetensors`: the optim method's state
 * tensors in the safetensors layout, whose metadata holds the method (class and constructor arguments, see
 * [[OptimMethodSpec]]) and the [[TrainingPosition]] (epoch, iteration, epochIteration, the finished epochs'
 * losses and scores). Both files are
 * written atomically, the optim file first; a checkpoint counts only once its model file exists, so a crash
 * mid-write leaves the previous checkpoint as the latest.
 *
 * The state is that of the whole parameter vector (see [[OptimState]]), so LocalOptimizer and
 * DistriOptimizer checkpoints are interchangeable.
 */
object Checkpoint {
  val Format = "ember-optim"
  private val ModelName = """model\.(\d+)\.ember""".r

  /**
   * Writes the checkpoint of iteration `position.iteration`; with `keepOnlyLatest`, then deletes the
   * older ones (BigDL's `overWriteCheckpoint`), so long runs do not fill the disk.
   */
  def save(dir: String, model: Module, method: OptimMethod, methodState: Option[MethodState], position: TrainingPosition,
      keepOnlyLatest: Boolean = false): Unit = {
    val finished = position.beforeStep.history // the epochs finished so far, the last one with its validation
    val d = new File(dir)
    if (!d.isDirectory && !d.mkdirs()) throw new java.io.IOException(s"cannot create checkpoint directory $dir")
    val meta = Map("format" -> Format, "format_version" -> ModelFile.FormatVersion,
      "optim_method" -> OptimMethodSpec.describe(method), "epoch" -> position.epoch.toString,
      "iteration" -> position.iteration.toString, "epoch_iteration" -> position.epochIteration.toString,
      "epoch_losses" -> finished.losses.mkString(","), "epoch_scores" -> finished.scores.mkString(","))
    val optimFile = new File(d, s"optimMethod.${position.iteration}.safetensors")
    val tmp = File.createTempFile(s".${optimFile.getName}.", ".tmp", d)
    try {
      // streamed: the state of a model beyond 2 GB is beyond 2 GB too
      ModelFile.writeFile(tmp, out => ModelFile.writeTensors(methodState.map(_.entries).getOrElse(Map.empty).toSeq.sortBy(_._1), meta, Set.empty, out))
      Files.move(tmp.toPath, optimFile.toPath, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE)
    } finally tmp.delete()
    ModelFile.save(model, new File(d, s"model.${position.iteration}.ember").getPath, overWrite = true)
    if (keepOnlyLatest) iterations(dir).filter(_ != position.iteration).foreach { i =>
      new File(d, s"model.$i.ember").delete(); new File(d, s"optimMethod.$i.safetensors").delete()
    }
  }

  /** The iterations with a complete checkpoint in `dir`, ascending. */
  def iterations(dir: String): Seq[Long] = {
    val files = Option(new File(dir).list()).map(_.toSeq).getOrElse(Nil)
    files.collect { case ModelName(i) if files.contains(s"optimMethod.$i.safetensors") => i.toLong }.sorted
  }

  /** Loads the checkpoint of `iteration` from `dir`, or the latest one when `iteration` is -1. */
  def load(dir: String, iteration: Long = -1L): LoadedCheckpoint = {
    val available = iterations(dir)
    if (available.isEmpty) throw new FileNotFoundException(s"no checkpoint (model.<iteration>.ember + optimMethod.<iteration>.safetensors) in $dir")
    val it = if (iteration < 0) available.last else iteration
    if (!available.contains(it)) throw new FileNotFoundException(
      s"no checkpoint of iteration $it in $dir; available: ${available.mkString(", ")}")
    val model = ModelFile.load(new File(dir, s"model.$it.ember").getPath)
    val path = new File(dir, s"optimMethod.$it.safetensors").getPath
    val (meta, state) = try ModelFile.readTensorsFile(new File(path)) catch {
      case e: ModelFileException => throw new ModelFileException(s"$path: ${e.getMessage}", e)
    }
    if (!meta.get("format").contains(Format)) throw new ModelFileException(s"$path is not an Ember optim-method checkpoint")
    def field(k: String): String = meta.getOrElse(k, throw new ModelFileException(s"$path: metadata has no '$k'"))
    val method = OptimMethodSpec.build(field("optim_method"))
    method.readState(state).foreach(method.loadState)
    def floats(k: String): Vector[Float] = meta.get(k).filter(_.nonEmpty).map(_.split(',').map(_.toFloat).toVector).getOrElse(Vector.empty)
    val history = try EpochHistory(floats("epoch_losses"), floats("epoch_scores")) catch {
      case e: IllegalArgumentException => throw new ModelFileException(s"$path: bad epoch history: ${e.getMessage}", e)
    }
    val position = try TrainingPosition(epoch = field("epoch").toInt, iteration = field("iteration").toLong,
      epochIteration = field("epoch_iteration").toInt, history = history) catch {
      case e: IllegalArgumentException => throw new ModelFileException(s"$path: bad training position: ${e.getMessage}", e)
    }
    LoadedCheckpoint(model, method, position)
  }
}
