package org.apache.spark.ember

import java.nio.ByteBuffer
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.atomic.AtomicLong

import scala.concurrent.Future
import scala.reflect.ClassTag

import org.apache.spark.SparkEnv
import org.apache.spark.network.netty.SparkTransportConf
import org.apache.spark.network.sasl.SecretKeyHolder
import org.apache.spark.network.util.TransportConf
import org.apache.spark.rpc.{RpcAddress, RpcEndpointRef, RpcTimeout}
import org.apache.spark.storage.{BlockId, StorageLevel, TestBlockId}
import org.apache.spark.storage.BlockManagerMessages.UpdateBlockInfo
import org.apache.spark.util.io.ChunkedByteBuffer

// Ember's only use of Spark-private API, all in this file (a Spark upgrade that changes one of these calls breaks
// this file only): Spark's transport settings and this executor's host for ember.parallel.Transport, a count of the
// messages this JVM sends to the driver's block-manager master, and named byte blocks in this JVM's BlockManager.

/** Spark's transport settings, this executor's host and the count of driver-bound messages. */
object SparkShim {
  /** Spark's "rpc" transport settings (one I/O thread each way), and with `spark.authenticate` its user and secrets. */
  def transport(spark: SparkEnv): (TransportConf, Option[(String, SecretKeyHolder)]) = {
    val security = spark.securityManager
    (SparkTransportConf.fromSparkConf(spark.conf, "rpc", 1, None, Some(security.getRpcSSLOptions())),
      if (security.isAuthenticationEnabled()) Some((security.getSaslUser(), security)) else None)
  }

  /** This executor's host, as its block manager advertises it. */
  def host: String = SparkEnv.get.blockManager.blockManagerId.host

  private val kinds = new ConcurrentHashMap[String, AtomicLong]()

  /** Messages this JVM sent to the driver since [[countDriverMessages]], by "<class>[(<block>)] from <thread>" (digits: N). */
  def driverMessages: Map[String, Long] = { val m = Map.newBuilder[String, Long]; kinds.forEach((k, n) => m += k -> n.get); m.result() }

  /** Counts from now on every message this JVM sends to the driver's block-manager master (installed once). */
  def countDriverMessages(): Unit = synchronized {
    val master = SparkEnv.get.blockManager.master
    if (!master.driverEndpoint.isInstanceOf[Counting]) master.driverEndpoint = new Counting(master.driverEndpoint)
  }

  /** Counts one message to the driver of kind `what` (Ember's own go through this too). */
  def count(what: String): Unit = kinds.computeIfAbsent(
    s"$what from ${Thread.currentThread().getName}".replaceAll("[0-9]+", "N"), _ => new AtomicLong()).incrementAndGet()

  private final class Counting(ref: RpcEndpointRef) extends RpcEndpointRef(SparkEnv.get.conf) {
    override def address: RpcAddress = ref.address
    override def name: String = ref.name
    override def send(message: Any): Unit = { count(describe(message)); ref.send(message) }
    override def ask[T: ClassTag](message: Any, timeout: RpcTimeout): Future[T] = { count(describe(message)); ref.ask[T](message, timeout) }
    private def describe(m: Any): String = m match {
      case u: UpdateBlockInfo => s"UpdateBlockInfo(${u.blockId.name}${if (u.storageLevel.isValid) "" else " removed"})"
      case _ => m.getClass.getSimpleName
    }
  }
}

/**
 * Named byte blocks (`TestBlockId`s, as BigDL's) in this JVM's BlockManager, serialized in memory with spill to disk
 * or (`onDisk`) written to the local disk before `put` returns. `tellMaster` registers a block with the driver so that
 * other executors can fetch it ([[get]] with `remote`). A second put of a name keeps the first (same bytes: Ember
 * names a block by producer and iteration). [[removeRegistered]] filters the master's registry on the driver (asking
 * the executors would send them the filter closure, which their RPC threads cannot deserialize).
 */
object BlockStore {
  private def bm = { val env = SparkEnv.get; require(env != null, "BlockStore: no SparkEnv in this JVM"); env.blockManager }
  private def isEmber(prefix: String)(id: BlockId) = id match { case TestBlockId(n) => n.startsWith(prefix); case _ => false }

  def put(name: String, bytes: ByteBuffer, tellMaster: Boolean, onDisk: Boolean = false): Unit = {
    val level = if (onDisk) StorageLevel.DISK_ONLY else StorageLevel.MEMORY_AND_DISK_SER
    if (!bm.putBytes(TestBlockId(name), new ChunkedByteBuffer(bytes), level, tellMaster = tellMaster))
      throw new IllegalStateException(s"BlockManager refused block $name (${bytes.remaining} bytes)")
  }

  def get(name: String, remote: Boolean): Option[ByteBuffer] = {
    val (id, manager) = (TestBlockId(name), bm)
    manager.getLocalBytes(id) match {
      case Some(data) => try Some(data.toByteBuffer()) finally manager.releaseLock(id, None)
      case None => if (remote) manager.getRemoteBytes(id).map(_.toByteBuffer) else None
    }
  }

  def remove(name: String, tellMaster: Boolean): Unit = bm.removeBlock(TestBlockId(name), tellMaster)

  def removeRegistered(prefix: String): Unit =
    bm.master.getMatchingBlockIds(isEmber(prefix), askStorageEndpoints = false).foreach(bm.master.removeBlock)

  /** (count, bytes in memory + on disk) of this JVM's blocks whose names start with `prefix` (for tests). */
  def localUsage(prefix: String): (Int, Long) = {
    val sizes = bm.getMatchingBlockIds(isEmber(prefix)).flatMap(bm.getStatus).map(s => s.memSize + s.diskSize)
    (sizes.length, sizes.sum)
  }
}
