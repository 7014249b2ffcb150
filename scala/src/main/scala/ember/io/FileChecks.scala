package ember.io

import java.io.File
import java.nio.file.{AccessDeniedException, FileAlreadyExistsException, FileSystemException, Files, NoSuchFileException,
  NotDirectoryException}

/** The path names a directory where a file was expected (Python's `IsADirectoryError`; Java has no such class). */
class IsADirectoryException(path: String, reason: String) extends FileSystemException(path, null, reason)

/**
 * Checks of a path before reading or writing a file, each failure as the `java.nio.file` exception that
 * names the cause (the Python layer maps them to `FileNotFoundError`, `IsADirectoryError`,
 * `NotADirectoryError`, `PermissionError` and `FileExistsError`), with the path in the message. Checking
 * first, rather than reading the exception of the failed call, is what tells "no such file" from "a
 * directory on the way is a file", which `java.io` reports alike.
 */
object FileChecks {

  /** Requires `path` to be a readable regular file. */
  def forReading(path: String, what: String): File = {
    val f = new File(path)
    if (f.isDirectory) throw new IsADirectoryException(path, s"$what: $path is a directory, not a file")
    if (!f.exists()) {
      notADirectoryOnTheWay(path, f, what)
      throw new NoSuchFileException(path, null, s"$what not found: $path")
    }
    if (!Files.isReadable(f.toPath)) throw new AccessDeniedException(path, null, s"$what: no permission to read $path")
    f
  }

  /**
   * Requires that `path` can be written: not a directory, not an existing file unless `overWrite`, every
   * existing ancestor a directory, and the nearest one writable. Returns the file.
   */
  def forWriting(path: String, what: String, overWrite: Boolean): File = {
    val f = new File(path)
    if (f.isDirectory) throw new IsADirectoryException(path, s"$what: $path is a directory, not a file")
    if (f.exists() && !overWrite) throw new FileAlreadyExistsException(path, null,
      s"$path exists; pass overWrite = true (over_write=True in Python) to replace it")
    notADirectoryOnTheWay(path, f, what)
    val dir = nearestExisting(f.getAbsoluteFile.getParentFile)
    if (dir != null && !Files.isWritable(dir.toPath))
      throw new AccessDeniedException(path, null, s"$what: no permission to write in $dir")
    f
  }

  /** Throws when an existing ancestor of `f` is not a directory (e.g. `some-file/model.ember`). */
  private def notADirectoryOnTheWay(path: String, f: File, what: String): Unit = {
    val dir = nearestExisting(f.getAbsoluteFile.getParentFile)
    if (dir != null && !dir.isDirectory)
      throw new NotDirectoryException(s"$what: $path: $dir is a file, not a directory")
  }

  private def nearestExisting(start: File): File = {
    var d = start
    while (d != null && !d.exists()) d = d.getParentFile
    d
  }
}
