import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Open descriptors of lock files, kept between transactions so that taking a pool's lock costs one `flock` and
/// no `open`/`close` (a path walk and a file allocation each time otherwise). A pool's lock comes with a descriptor
/// of the pool's folder, which the transaction reads its records through (`FileLocation`): a path walk of
/// one or two names instead of the whole path from `/`.
///
/// A descriptor is used by one transaction at a time: `flock` locks belong to the open file description, so two
/// transactions of one process must never share one, or the second would convert the first's lock instead of
/// waiting for it. `take` hands out a descriptor no one else holds; `putBack` unlocks it before keeping it, so an
/// idle descriptor never holds a lock.
///
/// A kept descriptor names the lock file's (or folder's) inode, not its path. That is sound because a lock file is
/// never replaced while its pool exists (`Store`'s layout), a deleted pool's id is never given to another pool (ids
/// are random, and restoring a backup is done with the workers stopped), and a transaction that finds its pool gone
/// after locking closes its descriptors (`discard`) instead of keeping them. Each path is always taken the same way
/// (a pool's lock with its folder, a user's stripe without).
final class LockFiles: @unchecked Sendable {
    /// A lock file's descriptor, and its folder's when asked for (else -1).
    struct Handle: Equatable {
        let fd: Int32
        let folder: Int32

        func close() {
            Glibc.close(fd)
            if folder >= 0 { Glibc.close(folder) }
        }
    }

    private let lock = NSLock()
    private var idle: [String: [Handle]] = [:]
    private var idleCount = 0
    private let capacity: Int

    /// - Parameter capacity: how many idle descriptors to keep in all.
    init(capacity: Int = 64) {
        self.capacity = max(0, capacity)
    }

    /// How many idle descriptors are kept (tests).
    var kept: Int { lock.withLock { idleCount } }

    /// A descriptor of `path` that no other transaction holds: a kept one, or a new one (the file made, 0600, when
    /// `create`), with a descriptor of its folder when `withFolder`. nil when the file (or folder) does not exist and
    /// is not to be made.
    func take(_ path: String, create: Bool = false, withFolder: Bool = false) throws -> Handle? {
        let reused: Handle? = lock.withLock {
            guard let handle = idle[path]?.popLast() else { return nil }
            idleCount -= 1
            if idle[path]?.isEmpty == true { idle[path] = nil }
            return handle
        }
        if let reused { return reused }
        let fd = create ? try Store.openLockFile(path) : open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw FileSystem.Failure(operation: "open", path: path, code: errno)
        }
        guard withFolder else { return Handle(fd: fd, folder: -1) }
        let folderPath = FileSystem.parent(of: path)
        let folder = open(folderPath, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard folder >= 0 else {
            let code = errno
            Glibc.close(fd)
            if code == ENOENT || code == ENOTDIR { return nil }
            throw FileSystem.Failure(operation: "open", path: folderPath, code: code)
        }
        return Handle(fd: fd, folder: folder)
    }

    /// Releases the lock `handle` holds (if any) and keeps it for the next transaction on `path`; when `capacity`
    /// are kept already, an arbitrary other one is closed to make room (the one just used is the likelier to be
    /// used again). Closes `handle` instead when the unlock fails.
    func putBack(_ handle: Handle, _ path: String) {
        guard flock(handle.fd, LOCK_UN) == 0, capacity > 0 else {
            handle.close()
            return
        }
        let evicted: Handle? = lock.withLock {
            var victim: Handle?
            if idleCount >= capacity, let key = idle.keys.first {
                victim = idle[key]?.popLast()
                if idle[key]?.isEmpty == true { idle[key] = nil }
                idleCount -= 1
            }
            idle[path, default: []].append(handle)
            idleCount += 1
            return victim
        }
        evicted?.close()
    }

    /// Closes `handle` (releasing its lock): for a pool whose files may no longer be the ones at its path.
    func discard(_ handle: Handle) {
        handle.close()
    }

    deinit {
        for handles in idle.values {
            for handle in handles { handle.close() }
        }
    }
}
