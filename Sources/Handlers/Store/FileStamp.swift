#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file's identity and change times, as `stat(2)` gives them: what the per-process caches of parsed files
/// (`PoolKeyCache`, `RecordCache`) compare to know that what they parsed is still what is on disk.
///
/// Every write in the store replaces a file by `rename`, so a changed file is a new inode with new times. An
/// equal stamp can still lie in one case: a file changed within the kernel's coarse timestamp tick (a few ms)
/// of the moment it was stamped, onto a reused inode of the same size. So, as git does with its index, a stamp
/// taken within `racyWindow` seconds of the file's last change is not trusted (`isRacy`): such a cache entry is
/// parsed again on its next use.
struct FileStamp: Equatable, Sendable {
    var device: UInt64
    var inode: UInt64
    var size: Int64
    var mtime: Int
    var mtimeNanos: Int
    var ctime: Int
    var ctimeNanos: Int

    /// Seconds: a stamp this close to the file's last change is re-checked on the next use.
    static let racyWindow = 2

    /// The stamp of `path`, or nil when it does not exist.
    static func of(_ path: String) throws -> FileStamp? {
        try of(FileLocation(path))
    }

    static func of(_ location: FileLocation) throws -> FileStamp? {
        var st = stat()
        guard fstatat(location.folder, location.name, &st, 0) == 0 else {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw FileSystem.Failure(operation: "stat", path: location.path, code: errno)
        }
        #if canImport(Darwin)
        return FileStamp(
            device: UInt64(st.st_dev), inode: UInt64(st.st_ino), size: Int64(st.st_size),
            mtime: st.st_mtimespec.tv_sec, mtimeNanos: st.st_mtimespec.tv_nsec,
            ctime: st.st_ctimespec.tv_sec, ctimeNanos: st.st_ctimespec.tv_nsec)
        #else
        return FileStamp(
            device: UInt64(st.st_dev), inode: UInt64(st.st_ino), size: Int64(st.st_size),
            mtime: st.st_mtim.tv_sec, mtimeNanos: st.st_mtim.tv_nsec,
            ctime: st.st_ctim.tv_sec, ctimeNanos: st.st_ctim.tv_nsec)
        #endif
    }

    /// True when the file changed so recently (before `now`, epoch seconds of the wall clock) that an equal stamp
    /// later would not prove it unchanged.
    func isRacy(now: Int = wallClockSeconds()) -> Bool {
        max(mtime, ctime) + Self.racyWindow >= now
    }

    /// The wall clock the file system stamps files with. Only for the racy rule: it compares with file times,
    /// which the injected `Clock` knows nothing of.
    @Sendable static func wallClockSeconds() -> Int {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return ts.tv_sec
    }
}
