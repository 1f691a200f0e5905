#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The file-based store that every worker process and thread shares.
///
/// Layout (all folders 0700, all files 0600):
/// ```
/// <data>/clients/<clientId>            -> poolId   (global index: public calls carry only a ClientId)
/// <data>/pools/<poolId>/lock           flock target; never renamed or deleted while the pool exists
/// <data>/pools/<poolId>/pool.json      the pool's settings
/// <data>/pools/<poolId>/...            clients/, users/, aliases/, keys/ (one file per record)
/// ```
///
/// ## Locking protocol
/// - Every read of a pool's records holds `LOCK_SH` on `pools/<poolId>/lock`; every change holds `LOCK_EX`.
///   Locks are `flock(2)` on a descriptor opened for this one transaction, so they exclude each other across
///   processes *and* across threads of one process (each open file description is its own lock owner).
///   `fcntl` locks are never used: they are per process and would let two threads of a worker in together.
/// - After taking the lock, a transaction checks that `pool.json` still exists: a pool deleted while we
///   waited is answered as not found.
/// - Writes are atomic per file (`FileSystem.writeAtomically`: temp, fsync, rename, fsync folder), so a
///   reader never sees half a file even without a lock, and a crash leaves each file wholly old or new.
/// - Changes that touch several files are ordered so a crash leaves only garbage no reader can reach:
///   write a record before any index entry that points to it; remove index entries before the record.
/// - Slow work (password hashing, RSA signing, message delivery) is done before or after a transaction,
///   never inside `LOCK_EX`.
/// - The global `clients/` index is written without a pool lock: each entry is one atomic file, written
///   after the client record exists and removed before it is deleted, and readers always confirm the
///   record under the pool's lock.
public final class Store: Sendable {
    public enum LockMode: Sendable {
        case shared
        case exclusive
    }

    public let root: String
    /// A per-deployment secret (`<data>/secret.key`, 0600) that keys pagination tokens and sessions.
    public let secret: [UInt8]

    /// Opens (creating if needed) the store at `root` and removes temp files whose writers are gone.
    public init(root: String) throws {
        let root = root.hasSuffix("/") && root.count > 1 ? String(root.dropLast()) : root
        self.root = root
        try FileSystem.makeDirectory(root)
        try FileSystem.makeDirectory(root + "/pools")
        try FileSystem.makeDirectory(root + "/clients")
        FileSystem.removeStaleTempFiles(in: root)
        secret = try FileSystem.createOnce(root + "/secret.key") { SystemRandom().bytes(32) }
    }

    func poolDirectory(_ poolId: String) -> String {
        root + "/pools/" + FileSystem.fileKey(poolId)
    }

    // MARK: Pools

    /// Runs `body` with the pool locked in `mode`. Throws `ResourceNotFoundException` when the pool does not
    /// exist (or was deleted while we waited for the lock).
    public func withPool<T>(_ poolId: String, _ mode: LockMode, _ body: (PoolTransaction) throws -> T) throws -> T {
        let dir = poolDirectory(poolId)
        let fd = open(dir + "/lock", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw AWSError.poolNotFound(poolId) }
        defer { close(fd) }
        try lock(fd, mode)
        guard FileSystem.exists(dir + "/pool.json") else { throw AWSError.poolNotFound(poolId) }
        return try body(PoolTransaction(poolId: poolId, directory: dir, mode: mode))
    }

    /// Creates a pool: its folder and lock file, then `body` writes its records under `LOCK_EX`, `pool.json`
    /// last (a pool without `pool.json` does not exist for readers). Returns false if the id is taken.
    public func createPool(_ poolId: String, _ body: (PoolTransaction) throws -> Void) throws -> Bool {
        let dir = poolDirectory(poolId)
        if mkdir(dir, 0o700) != 0 {
            if errno == EEXIST { return false }
            throw FileSystem.Failure(operation: "mkdir", path: dir, code: errno)
        }
        let fd = open(dir + "/lock", O_RDONLY | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw FileSystem.Failure(operation: "create", path: dir + "/lock", code: errno) }
        defer { close(fd) }
        try lock(fd, .exclusive)
        try FileSystem.syncDirectory(dir)
        try FileSystem.syncDirectory(root + "/pools")
        try body(PoolTransaction(poolId: poolId, directory: dir, mode: .exclusive))
        return true
    }

    /// Deletes a pool. `body` runs first under `LOCK_EX` (to remove index entries that point into the pool);
    /// then the pool's `pool.json` goes (from then on the pool does not exist for anyone) and the folder is
    /// renamed aside and removed.
    public func deletePool(_ poolId: String, _ body: (PoolTransaction) throws -> Void) throws {
        try withPool(poolId, .exclusive) { tx in
            try body(tx)
            try FileSystem.remove(tx.directory + "/pool.json")
            let trash = root + "/pools/" + FileSystem.tempPrefix + "\(getpid())." + FileSystem.randomHex(6) + ".deleted"
            if rename(tx.directory, trash) == 0 {
                try? FileSystem.syncDirectory(root + "/pools")
                FileSystem.removeTree(trash)
            }
        }
    }

    /// Every pool id in the store, sorted (ListUserPools pages through them).
    public func poolIds() throws -> [String] {
        try FileSystem.list(root + "/pools").compactMap { key in
            FileSystem.exists(root + "/pools/" + key + "/pool.json") ? FileSystem.decodeKey(key) : nil
        }.sorted()
    }

    // MARK: The global client index

    public func poolId(ofClient clientId: String) throws -> String? {
        guard let bytes = try FileSystem.read(root + "/clients/" + FileSystem.fileKey(clientId)) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    public func indexClient(_ clientId: String, poolId: String) throws {
        try FileSystem.writeAtomically(root + "/clients/" + FileSystem.fileKey(clientId), Array(poolId.utf8))
    }

    public func unindexClient(_ clientId: String) throws {
        try FileSystem.remove(root + "/clients/" + FileSystem.fileKey(clientId))
    }

    // MARK: -

    private func lock(_ fd: Int32, _ mode: LockMode) throws {
        let op = mode == .shared ? LOCK_SH : LOCK_EX
        while flock(fd, op) != 0 {
            if errno == EINTR { continue }
            throw FileSystem.Failure(operation: "flock", path: "pool lock", code: errno)
        }
    }
}

/// One locked view of a pool's files. Paths are relative to the pool folder and made only of components
/// that went through `FileSystem.fileKey`, so no input can reach outside it.
public struct PoolTransaction {
    public let poolId: String
    let directory: String
    public let mode: Store.LockMode

    func path(_ folder: String?, _ key: String) -> String {
        let name = FileSystem.fileKey(key) + ".json"
        guard let folder else { return directory + "/" + name }
        return directory + "/" + folder + "/" + name
    }

    /// Reads the record `key` in `folder` (nil: the pool folder itself).
    public func read(_ folder: String?, _ key: String) throws -> JSON? {
        guard let bytes = try FileSystem.read(path(folder, key)) else { return nil }
        do {
            return try JSON.parse(bytes)
        } catch {
            throw FileSystem.Failure(operation: "parse", path: path(folder, key), code: EINVAL)
        }
    }

    public func write(_ folder: String?, _ key: String, _ value: JSON) throws {
        precondition(mode == .exclusive, "writes need the pool's exclusive lock")
        if let folder { try FileSystem.makeDirectory(directory + "/" + folder) }
        try FileSystem.writeAtomically(path(folder, key), value.serialized())
    }

    @discardableResult
    public func remove(_ folder: String?, _ key: String) throws -> Bool {
        precondition(mode == .exclusive, "writes need the pool's exclusive lock")
        return try FileSystem.remove(path(folder, key))
    }

    public func exists(_ folder: String?, _ key: String) -> Bool {
        FileSystem.exists(path(folder, key))
    }

    /// The file stems of every record in `folder`, sorted: stable, opaque names to page over (keys too long
    /// to store whole are hashed, so decode them by reading the record, not the name).
    public func storedNames(_ folder: String) throws -> [String] {
        try FileSystem.list(directory + "/" + folder).compactMap { name in
            name.hasSuffix(".json") ? String(name.dropLast(5)) : nil
        }.sorted()
    }

    /// Reads a record by the stored name `storedNames` gave.
    public func read(_ folder: String, storedName: String) throws -> JSON? {
        guard !storedName.contains("/"), !storedName.hasPrefix(".") else { return nil }
        let path = directory + "/" + folder + "/" + storedName + ".json"
        guard let bytes = try FileSystem.read(path) else { return nil }
        do {
            return try JSON.parse(bytes)
        } catch {
            throw FileSystem.Failure(operation: "parse", path: path, code: EINVAL)
        }
    }

    /// The keys of every record in `folder`, decoded back to the strings they were made from, sorted.
    public func keys(_ folder: String) throws -> [String] {
        try FileSystem.list(directory + "/" + folder).compactMap { name in
            guard name.hasSuffix(".json") else { return nil }
            return FileSystem.decodeKey(String(name.dropLast(5)))
        }.sorted()
    }
}

extension FileSystem {
    /// The inverse of `fileKey` for keys short enough to be stored whole; hashed keys decode to nil.
    static func decodeKey(_ key: String) -> String? {
        if key.contains("~") { return nil }
        if key == "%" { return "" }
        var bytes: [UInt8] = []
        var it = Array(key.utf8)[...]
        while let b = it.popFirst() {
            if b == UInt8(ascii: "%") {
                guard let h = it.popFirst(), let l = it.popFirst(),
                    let v = UInt8(String(decoding: [h, l], as: UTF8.self), radix: 16)
                else { return nil }
                bytes.append(v)
            } else {
                bytes.append(b)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }
}
