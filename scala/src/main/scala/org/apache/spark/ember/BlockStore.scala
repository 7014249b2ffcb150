package org.apache.spark.ember

import java.nio.ByteBuffer

import org.apache.spark.SparkEnv
import org.apache.spark.storage.{BlockId, StorageLevel, TestBlockId}
import org.apache.spark.util.io.ChunkedByteBuffer

/**
 * Ember's only use of Spark-private API: named byte blocks in this JVM's BlockManager (an executor's, or
 * the driver's). Blocks are `TestBlockId`s named by Ember (BigDL used the same id type), stored serialized
 * in memory with spill to disk (never a failed put because storage memory is short), and read back as
 * byte buffers. `tellMaster` registers a block with the driver so that other executors can find and fetch
 * it ([[get]] with `remote`); blocks only read inside their own JVM skip that RPC.
 */
object BlockStore {
  private val Level = StorageLevel.MEMORY_AND_DISK_SER

  private def bm = {
    val env = SparkEnv.get
    require(env != null, "BlockStore: no SparkEnv in this JVM (is a SparkContext running?)")
    env.blockManager
  }

  /**
   * Stores `bytes` (position to limit, not copied) under `name`; `onDisk`: on the local disk only (written before
   * this returns, so the caller may reuse `bytes`; no storage memory). A block of that name already present is
   * kept: Ember names a block by its producer and iteration, so a second put would carry the same bytes.
   */
  def put(name: String, bytes: ByteBuffer, tellMaster: Boolean, onDisk: Boolean = false): Unit = {
    val level = if (onDisk) StorageLevel.DISK_ONLY else Level
    if (!bm.putBytes(TestBlockId(name), new ChunkedByteBuffer(bytes), level, tellMaster = tellMaster))
      throw new IllegalStateException(s"BlockManager refused block $name (${bytes.remaining} bytes)")
  }

  /** The bytes of block `name` from this JVM, or with `remote` from any executor that registered it. */
  def get(name: String, remote: Boolean): Option[ByteBuffer] = {
    val id = TestBlockId(name)
    val manager = bm
    manager.getLocalBytes(id) match {
      case Some(data) =>
        try Some(data.toByteBuffer()) finally manager.releaseLock(id, None)
      case None if remote => manager.getRemoteBytes(id).map(_.toByteBuffer)
      case None => None
    }
  }

  /** Removes block `name` from this JVM's BlockManager (no-op when absent). */
  def remove(name: String, tellMaster: Boolean): Unit = bm.removeBlock(TestBlockId(name), tellMaster)

  /**
   * Removes, from every BlockManager, the registered blocks whose names start with `prefix` (driver side).
   * The master's own block registry is filtered (`askStorageEndpoints = false`): asking the executors would
   * send the filter closure over RPC, which executors cannot deserialize (their RPC threads do not see the
   * application jar: a ClassCastException of a SerializedLambda on a real cluster).
   */
  def removeRegistered(prefix: String): Unit = {
    val manager = bm
    manager.master.getMatchingBlockIds(isEmber(prefix), askStorageEndpoints = false).foreach(manager.master.removeBlock)
  }

  /** Removes this JVM's blocks whose names start with `prefix`, registered or not. */
  def removeLocal(prefix: String): Unit = {
    val manager = bm
    manager.getMatchingBlockIds(isEmber(prefix)).foreach(id => manager.removeBlock(id, tellMaster = true))
  }

  /** (count, bytes in memory + on disk) of this JVM's blocks whose names start with `prefix`. */
  def localUsage(prefix: String): (Int, Long) = {
    val manager = bm
    val sizes = manager.getMatchingBlockIds(isEmber(prefix)).flatMap(manager.getStatus).map(s => s.memSize + s.diskSize)
    (sizes.length, sizes.sum)
  }

  /** This JVM's executor id ("driver" on the driver), to tell whether two tasks share a BlockManager. */
  def executorId: String = SparkEnv.get.executorId

  private def isEmber(prefix: String)(id: BlockId): Boolean = id match {
    case TestBlockId(name) => name.startsWith(prefix)
    case _ => false
  }
}
