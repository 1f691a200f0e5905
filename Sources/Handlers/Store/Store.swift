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
/// - Every read of a pool's records holds `LOCK_SH` on `pools/<poolId>/lock`; every change holds `LOCK_EX`,
///   with one exception: a change to one user's record alone (no alias entry, no other record) may instead hold
///   `LOCK_SH` plus `LOCK_EX` on that user's lock stripe, `pools/<poolId>/locks/<n>` (mode `.oneUser`,
///   `PoolTransaction.withUserLock`). Such writers exclude each other per user and are excluded by every
///   `LOCK_EX` holder, so changes to different users overlap their fsyncs; readers see each record whole, as
///   always. A `.oneUser` change that needs more is stopped before its first write and made under `LOCK_EX`.
///   Locks are `flock(2)` on a descriptor held by this one transaction (opened for it, or kept open by an earlier
///   one and unlocked since: `LockFiles`), so they exclude each other across processes *and* across threads of
///   one process (each open file description is its own lock owner).
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
        /// A change of one user's record alone: `LOCK_SH`, plus that user's lock once the body names the user
        /// (`PoolTransaction.withUserLock`). A body that turns out to need more (an alias entry to move, another
        /// record to write) is stopped before its first write and run again from the start under `LOCK_EX`, so
        /// it must do nothing but store reads and writes before it saves.
        case oneUser
    }

    public let root: String
    /// A per-deployment secret (`<data>/secret.key`, 0600) that keys pagination tokens and sessions.
    public let secret: [UInt8]
    /// Parsed `pool.json` and client records of this process (`RecordCache`): read by nearly every request,
    /// rarely changed.
    let pools: RecordCache<UserPoolType>
    let clients: RecordCache<UserPoolClientType>
    /// Parsed user records of this process, for the users read again and again (token holders): at most
    /// 512 KiB of record files (a user record is ~0.5 KB), so a worker stays small whatever the pool's size.
    let users: RecordCache<UserRecord>
    /// How many users each pool's `users` folder held when last counted, under the folder's stamp: DescribeUserPool
    /// counts only after the folder changed (listing 100,000 entries takes ~30 ms of the kernel's time alone).
    let userCounts: RecordCache<Int>
    /// Pools' lock files, and their users' lock stripes, kept open between transactions (`LockFiles`).
    let lockFiles = LockFiles()
    let userLockFiles = LockFiles(capacity: Int(PoolTransaction.userLockStripes))

    /// Opens (creating if needed) the store at `root` and removes temp files whose writers are gone.
    ///
    /// `fileClock` is the wall clock (epoch seconds) the record caches' racy rule compares file times with; tests
    /// move it ahead.
    public init(root: String, fileClock: (@Sendable () -> Int)? = nil) throws {
        let root = Self.trimmed(root)
        self.root = root
        pools = RecordCache(wallClock: fileClock ?? FileStamp.wallClockSeconds)
        clients = RecordCache(wallClock: fileClock ?? FileStamp.wallClockSeconds)
        users = RecordCache(capacity: 4096, maxBytes: 512 << 10, wallClock: fileClock ?? FileStamp.wallClockSeconds)
        // Sized by a folder's own size (its entries), which says nothing of this cache's memory: one Int per pool.
        userCounts = RecordCache(capacity: 1024, maxBytes: Int.max, wallClock: fileClock ?? FileStamp.wallClockSeconds)
        secret = try Self.prepare(root: root)
        FileSystem.removeStaleTempFiles(in: root)
    }

    /// Makes the store's folders and its secret where missing, and returns the secret: what a store at `root` needs
    /// to be usable at all. A supervisor calls it to fail at once on a folder its workers could not use, without
    /// walking the store for temp files as each worker's `init` does.
    @discardableResult
    public static func prepare(root: String) throws -> [UInt8] {
        let root = trimmed(root)
        try FileSystem.makeDirectory(root)
        try FileSystem.makeDirectory(root + "/pools")
        try FileSystem.makeDirectory(root + "/clients")
        let secret = try FileSystem.createOnce(root + "/secret.key") { SystemRandom().bytes(secretLength) }
        // A shorter secret (a truncated copy, an empty file) would key refresh tokens and sessions that anyone could
        // open and forge: refuse to start rather than use it.
        guard secret.count >= secretLength else { throw ShortSecret(path: root + "/secret.key", length: secret.count) }
        return secret
    }

    static let secretLength = 32

    struct ShortSecret: Error, CustomStringConvertible {
        let path: String
        let length: Int
        var description: String {
            "\(path) holds \(length) bytes, not \(Store.secretLength) random ones: restore it from a backup, or remove it "
                + "to make a new one (every refresh token and sign-in session ends)"
        }
    }

    /// `root` without a trailing slash (`/` stays).
    private static func trimmed(_ root: String) -> String {
        root.hasSuffix("/") && root.count > 1 ? String(root.dropLast()) : root
    }

    func poolDirectory(_ poolId: String) -> String {
        root + "/pools/" + FileSystem.fileKey(poolId)
    }

    /// The file system work of writing a user's record, in pool `poolId`'s users folder, writing no record
    /// (`FileSystem.writeDecoy`): what a simulated answer does where the real one writes the user, so that the time
    /// an answer takes does not tell whether the user exists. 1 KiB, a small user record's size.
    func writeDecoyUser(poolId: String) throws {
        let users = poolDirectory(poolId) + "/" + PoolTransaction.usersFolder
        try FileSystem.makeDirectory(users)  // as a pool's first user's write makes it
        try FileSystem.writeDecoy(in: users, bytes: 1024)
    }

    // MARK: Pools

    /// Runs `body` with the pool locked in `mode`. Throws `ResourceNotFoundException` when the pool does not
    /// exist (or was deleted while we waited for the lock).
    public func withPool<T>(_ poolId: String, _ mode: LockMode, _ body: (PoolTransaction) throws -> T) throws -> T {
        if mode == .oneUser {
            do {
                return try locked(poolId, .oneUser, body)
            } catch is PoolTransaction.NeedsExclusiveLock {
                return try locked(poolId, .exclusive, body)
            }
        }
        return try locked(poolId, mode, body)
    }

    private func locked<T>(_ poolId: String, _ mode: LockMode, _ body: (PoolTransaction) throws -> T) throws -> T {
        let dir = poolDirectory(poolId)
        let lockPath = dir + "/lock"
        guard let handle = try lockFiles.take(lockPath, withFolder: true) else { throw AWSError.poolNotFound(poolId) }
        let tx = PoolTransaction(store: self, poolId: poolId, directory: dir, folder: handle.folder, mode: mode)
        defer {
            // The descriptors of a pool that is gone (deleted now, or while we waited) are never kept.
            if tx.memo.poolGone { lockFiles.discard(handle) } else { lockFiles.putBack(handle, lockPath) }
        }
        try Self.lock(handle.fd, mode)
        // pool.json's stamp is the pool's existence, and what `pool()` checks its cached settings against: while
        // the lock is held only this transaction can replace the file (`savePool` forgets the stamp).
        guard let stamp = try FileStamp.of(tx.location(nil, PoolTransaction.poolRecord)) else {
            tx.memo.poolGone = true
            throw AWSError.poolNotFound(poolId)
        }
        tx.memo.poolStamp = stamp
        return try body(tx)
    }

    /// Creates a pool: its folder and lock file, then `body` writes its records under `LOCK_EX`, `pool.json`
    /// last (a pool without `pool.json` does not exist for readers). Returns false if the id is taken.
    public func createPool(_ poolId: String, _ body: (PoolTransaction) throws -> Void) throws -> Bool {
        let dir = poolDirectory(poolId)
        if mkdir(dir, 0o700) != 0 {
            if errno == EEXIST { return false }
            throw FileSystem.Failure(operation: "mkdir", path: dir, code: errno)
        }
        let fd = try Self.openLockFile(dir + "/lock")
        defer { close(fd) }
        try Self.lock(fd, .exclusive)
        try FileSystem.syncDirectory(dir)
        try FileSystem.syncDirectory(root + "/pools")
        do {
            try body(PoolTransaction(store: self, poolId: poolId, directory: dir, folder: AT_FDCWD, mode: .exclusive))
        } catch {
            // A pool made by half (a full disk): removed under the lock still held, rather than left as a folder no
            // reader sees and nothing removes, perhaps with a private key in it.
            _ = try? FileSystem.remove(dir + "/pool.json")
            removeAside(dir)
            throw error
        }
        return true
    }

    /// Renames a pool's folder aside (one rename: no reader sees it half removed) and removes it.
    private func removeAside(_ dir: String) {
        let trash = root + "/pools/" + FileSystem.tempPrefix + "\(getpid())." + FileSystem.randomHex(6) + ".deleted"
        if rename(dir, trash) == 0 {
            try? FileSystem.syncDirectory(root + "/pools")
            FileSystem.removeTree(trash)
        }
    }

    /// Deletes a pool. `body` runs first under `LOCK_EX` (to remove index entries that point into the pool);
    /// then the pool's `pool.json` goes (from then on the pool does not exist for anyone) and the folder is
    /// renamed aside and removed.
    public func deletePool(_ poolId: String, _ body: (PoolTransaction) throws -> Void) throws {
        try withPool(poolId, .exclusive) { tx in
            try body(tx)
            tx.memo.poolGone = true
            try FileSystem.remove(tx.directory + "/pool.json")
            removeAside(tx.directory)
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

    /// Runs `body` holding `LOCK_EX` on every user lock stripe of the pool folder `poolDirectory`, in stripe order
    /// (a user-lock writer holds one stripe and waits for none, so this cannot deadlock), creating stripes not made
    /// yet. Together with the pool's `LOCK_SH` no change of any kind is in progress in the pool: what `backup`
    /// needs to copy a pool as of one moment.
    public static func withEveryUserLock<T>(poolDirectory: String, _ body: () throws -> T) throws -> T {
        let folder = poolDirectory + "/" + PoolTransaction.userLockFolder
        try FileSystem.makeDirectory(folder)
        var fds: [Int32] = []
        defer { for fd in fds { close(fd) } }
        for stripe in 0..<PoolTransaction.userLockStripes {
            let fd = try openLockFile(folder + "/" + String(stripe))
            fds.append(fd)
            try lock(fd, .exclusive)
        }
        return try body()
    }

    /// A lock file opened for `flock`, made (0600) if missing.
    static func openLockFile(_ path: String) throws -> Int32 {
        let fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw FileSystem.Failure(operation: "create", path: path, code: errno) }
        return fd
    }

    static func lock(_ fd: Int32, _ mode: LockMode) throws {
        let op = mode == .exclusive ? LOCK_EX : LOCK_SH
        while flock(fd, op) != 0 {
            if errno == EINTR { continue }
            throw FileSystem.Failure(operation: "flock", path: "pool lock", code: errno)
        }
    }
}

/// One locked view of a pool's files. Paths are relative to the pool folder and made only of components
/// that went through `FileSystem.fileKey`, so no input can reach outside it.
public struct PoolTransaction {
    let store: Store
    public let poolId: String
    let directory: String
    /// A descriptor of `directory` the transaction's reads go through (`FileLocation`), or `AT_FDCWD`.
    let folder: Int32
    public let mode: Store.LockMode
    /// Under `withUserLock` in a `.oneUser` transaction: the one user record (its key in `users/`) it may write.
    var writableUser: String? = nil
    /// What this transaction learnt of its files, shared by its copies (`withUserLock` scopes one).
    let memo = Memo()

    final class Memo {
        /// The stamp of `pool.json` taken under the lock; nil once this transaction wrote the file.
        var poolStamp: FileStamp?
        /// Set when the pool turned out not to exist, or this transaction deletes it: its lock descriptor is closed,
        /// not kept (`LockFiles`).
        var poolGone = false
    }

    static let poolRecord = "pool"

    /// Thrown in a `.oneUser` transaction by a write it may not make; `Store.withPool` runs the body again under
    /// `LOCK_EX`.
    struct NeedsExclusiveLock: Error {}

    /// Lock stripes per pool, in `locks/`: users whose keys share a stripe wait for each other, which is harmless.
    static let userLockStripes: UInt64 = 64
    static let userLockFolder = "locks"

    /// Runs `body` with the right to change the record of the user whose key is `userKey`. In a `.oneUser`
    /// transaction that takes `LOCK_EX` on the user's lock stripe, `pools/<poolId>/locks/<n>`, on top of the pool's
    /// `LOCK_SH`, and `body` must read the user again (what was read before may have changed); under `LOCK_EX` it
    /// simply runs `body`. Taken at most once per transaction.
    public func withUserLock<T>(_ userKey: String, _ body: (PoolTransaction) throws -> T) throws -> T {
        guard mode == .oneUser else {
            precondition(mode == .exclusive, "a user lock is taken in a .oneUser or .exclusive transaction")
            return try body(self)
        }
        precondition(writableUser == nil, "one user lock per transaction")
        let folder = directory + "/" + Self.userLockFolder
        // FNV-1a over the key: a stable stripe in every process.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in userKey.utf8 { hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3 }
        let path = folder + "/" + String(hash % Self.userLockStripes)
        let stripes = store.userLockFiles
        var taken: LockFiles.Handle?
        do {
            taken = try stripes.take(path, create: true)
        } catch let failure as FileSystem.Failure where failure.code == ENOENT {
            // The pool's first user lock: make the folder.
            try FileSystem.makeDirectory(folder)
            taken = try stripes.take(path, create: true)
        }
        guard let handle = taken else { throw FileSystem.Failure(operation: "create", path: path, code: ENOENT) }
        defer { stripes.putBack(handle, path) }
        try Store.lock(handle.fd, .exclusive)
        var scoped = self
        scoped.writableUser = userKey
        return try body(scoped)
    }

    /// Whether this transaction may write `key` in `folder`; throws `NeedsExclusiveLock` for a `.oneUser`
    /// transaction's write beyond its user's record.
    func checkWritable(_ folder: String?, _ key: String) throws {
        if mode == .exclusive { return }
        if mode == .oneUser {
            guard writableUser != nil, writableUser == key, folder == Self.usersFolder else { throw NeedsExclusiveLock() }
            return
        }
        preconditionFailure("writes need the pool's exclusive lock, or a user lock for that user's record")
    }

    func path(_ folder: String?, _ key: String) -> String {
        location(folder, key).path
    }

    /// The record `key` in `folder` (nil: the pool folder itself), named through the transaction's folder descriptor.
    func location(_ folder: String?, _ key: String) -> FileLocation {
        let file = FileSystem.fileKey(key) + ".json"
        let name = folder.map { $0 + "/" + file } ?? file
        let path = directory + "/" + name
        return self.folder == AT_FDCWD ? FileLocation(path) : FileLocation(path: path, folder: self.folder, name: name)
    }

    /// Reads the record `key` in `folder` (nil: the pool folder itself).
    public func read(_ folder: String?, _ key: String) throws -> JSON? {
        let location = location(folder, key)
        return try FileSystem.read(location).map { try Self.parse($0, path: location.path) }
    }

    /// A stored record's JSON; a file that does not parse is a store failure (500), never a client error.
    static func parse(_ bytes: [UInt8], path: String) throws -> JSON {
        do {
            return try JSON.parse(bytes)
        } catch {
            throw FileSystem.Failure(operation: "parse", path: path, code: EINVAL)
        }
    }

    public func write(_ folder: String?, _ key: String, _ value: JSON) throws {
        try checkWritable(folder, key)
        if let folder { try FileSystem.makeDirectory(directory + "/" + folder) }
        try FileSystem.writeAtomically(path(folder, key), value.serialized())
    }

    @discardableResult
    public func remove(_ folder: String?, _ key: String) throws -> Bool {
        if mode != .exclusive {
            precondition(mode == .oneUser, "writes need the pool's exclusive lock")
            throw NeedsExclusiveLock()
        }
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

    /// `storedNames(folder)` from the first name after `after` (from the start when nil), `count` names at most:
    /// a page without sorting the whole folder. Stored names are ASCII (`FileSystem.fileKey`), whose byte order is
    /// `String`'s.
    public func storedNames(_ folder: String, after: String?, first count: Int) throws -> [String] {
        try FileSystem.firstNames(in: directory + "/" + folder, suffix: ".json", after: after, count: count)
    }

    /// Reads a record by the stored name `storedNames` gave.
    public func read(_ folder: String, storedName: String) throws -> JSON? {
        guard !storedName.contains("/"), !storedName.hasPrefix(".") else { return nil }
        let path = directory + "/" + folder + "/" + storedName + ".json"
        return try FileSystem.read(path).map { try Self.parse($0, path: path) }
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
