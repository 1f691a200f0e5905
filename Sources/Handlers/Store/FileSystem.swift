#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Crypto

/// A file named relative to an open folder (`openat`, `fstatat`): a pool transaction reads its records through its
/// pool folder's descriptor, a path walk of a name or two instead of the whole path from `/`. `path`, the whole
/// path, names the file in caches and messages.
struct FileLocation {
    let path: String
    /// `AT_FDCWD` when `name` is the whole path.
    let folder: Int32
    let name: String

    init(_ path: String) {
        self.path = path
        folder = AT_FDCWD
        name = path
    }

    init(path: String, folder: Int32, name: String) {
        self.path = path
        self.folder = folder
        self.name = name
    }
}

/// Durable file primitives. Every write is: temp file in the same folder, `fsync`, `rename` over the target,
/// `fsync` the folder. A crash at any point leaves the target wholly old or wholly new; the only debris is a
/// temp file (`.tmp.<pid>.<random>`) that no reader ever opens and start-up removes once its writer is gone.
public enum FileSystem {
    struct Failure: Error, CustomStringConvertible {
        let operation: String
        let path: String
        let code: Int32
        var description: String { "\(operation) \(path): \(String(cString: strerror(code)))" }
    }

    static let tempPrefix = ".tmp."

    /// Reads a whole file, or nil when it does not exist.
    static func read(_ path: String) throws -> [UInt8]? {
        try read(FileLocation(path))
    }

    static func read(_ location: FileLocation) throws -> [UInt8]? {
        let path = location.path
        // O_NONBLOCK: a FIFO planted where a record should be would block the open (under a pool lock) for ever;
        // it has no effect on a regular file's reads.
        let fd = openat(location.folder, location.name, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        if fd < 0 {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw Failure(operation: "open", path: path, code: errno)
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw Failure(operation: "fstat", path: path, code: errno) }
        guard st.st_mode & S_IFMT == S_IFREG else {
            throw Failure(operation: "open (not a regular file)", path: path, code: EINVAL)
        }
        // As many bytes as the file had when opened, fewer if it shrank since.
        var out = [UInt8](repeating: 0, count: Int(st.st_size))
        let done = try transfer(out.count, "read", path: path) { done in
            out.withUnsafeMutableBytes { buf in Glibc.read(fd, buf.baseAddress! + done, buf.count - done) }
        }
        if done < out.count { out.removeLast(out.count - done) }
        return out
    }

    /// Replaces `path` with `bytes` atomically and durably.
    static func writeAtomically(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o600) throws {
        let dir = parent(of: path)
        let temp = try writeTemp(in: dir, bytes, mode: mode)
        guard rename(temp, path) == 0 else {
            let code = errno
            unlink(temp)
            throw Failure(operation: "rename", path: path, code: code)
        }
        try syncDirectory(dir)
    }

    /// `writeAtomically`'s work in `dir` (a temp file created, `bytes` bytes written and fsynced, a change of the
    /// folder's entries, the folder fsynced) for a file that is removed instead of put in a record's place: no
    /// listing, reader or backup ever sees it. Where an answer must not tell whether a record was written
    /// (PreventUserExistenceErrors ENABLED), the path that writes nothing does this instead.
    static func writeDecoy(in dir: String, bytes: Int) throws {
        let temp = try writeTemp(in: dir, [UInt8](repeating: 0x20, count: bytes))
        guard unlink(temp) == 0 else { throw Failure(operation: "unlink", path: temp, code: errno) }
        try syncDirectory(dir)
    }

    /// A new temp file in `dir` holding `bytes`, durable; its path. Removed again if it cannot be made whole.
    private static func writeTemp(in dir: String, _ bytes: [UInt8], mode: mode_t = 0o600) throws -> String {
        let temp = dir + "/" + tempPrefix + "\(getpid())." + randomHex(8)
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw Failure(operation: "create", path: temp, code: errno) }
        do {
            defer { close(fd) }
            try writeAll(fd, bytes, path: temp)
            guard fsync(fd) == 0 else { throw Failure(operation: "fsync", path: temp, code: errno) }
        } catch {
            unlink(temp)
            throw error
        }
        return temp
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
        let done = try transfer(bytes.count, "write", path: path) { done in
            bytes.withUnsafeBytes { buf in Glibc.write(fd, buf.baseAddress! + done, buf.count - done) }
        }
        // write(2) returns 0 only for nothing to write; were it ever to stop early, the file would be short.
        guard done == bytes.count else { throw Failure(operation: "write", path: path, code: EIO) }
    }

    /// Calls `step` with the bytes done so far until `count` are done or it returns 0 (end of file), retrying
    /// `EINTR`; returns how many were done. `step` is one `read` or `write` of what is left.
    private static func transfer(_ count: Int, _ operation: String, path: String, _ step: (Int) -> Int) throws -> Int {
        var done = 0
        while done < count {
            let n = step(done)
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure(operation: operation, path: path, code: errno)
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// Reads `path`, or creates it with `make()` if it does not exist. Many processes may race here: the
    /// file is written whole under a temp name and `link`ed into place, so exactly one version wins and
    /// every process reads that one.
    static func createOnce(_ path: String, _ make: () -> [UInt8]) throws -> [UInt8] {
        if let existing = try read(path), !existing.isEmpty { return existing }
        let temp = parent(of: path) + "/" + tempPrefix + "\(getpid())." + randomHex(8)
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Failure(operation: "create", path: temp, code: errno) }
        defer { unlink(temp) }
        do {
            defer { close(fd) }
            try writeAll(fd, make(), path: temp)
            guard fsync(fd) == 0 else { throw Failure(operation: "fsync", path: temp, code: errno) }
        }
        if link(temp, path) != 0 && errno != EEXIST {
            throw Failure(operation: "link", path: path, code: errno)
        }
        try syncDirectory(parent(of: path))
        guard let winner = try read(path) else { throw Failure(operation: "read", path: path, code: ENOENT) }
        return winner
    }

    /// Removes a file durably; a missing file is not an error. Returns whether it existed.
    @discardableResult
    static func remove(_ path: String) throws -> Bool {
        if unlink(path) != 0 {
            if errno == ENOENT { return false }
            throw Failure(operation: "unlink", path: path, code: errno)
        }
        try syncDirectory(parent(of: path))
        return true
    }

    static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    static func syncDirectory(_ dir: String) throws {
        let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(operation: "open", path: dir, code: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw Failure(operation: "fsync", path: dir, code: errno) }
    }

    /// Makes `path` (and missing parents), 0700; an existing one is fine. A folder made here is durable before this
    /// returns (its parent is fsynced), as the records written into it are: otherwise a power cut could take the
    /// folder, and with it records whose writes were answered.
    static func makeDirectory(_ path: String) throws {
        func make() throws -> Bool {
            if mkdir(path, 0o700) == 0 {
                try syncDirectory(parent(of: path))
                return true
            }
            return errno == EEXIST
        }
        if try make() { return }
        if errno == ENOENT {
            try makeDirectory(parent(of: path))
            if try make() { return }
        }
        throw Failure(operation: "mkdir", path: path, code: errno)
    }

    /// Names in a folder, without `.`/`..` and without temp files; a missing folder lists as empty.
    public static func list(_ dir: String) throws -> [String] {
        var names: [String] = []
        try eachName(dir) { names.append(String(decoding: $0, as: UTF8.self)) }
        return names
    }

    /// How many records (`*.json`) `dir` holds, as `list` would give them, without making a string of each name (a
    /// recount of 100,000 users: ~34 ms against ~48 through `list`).
    static func countRecords(_ dir: String) throws -> Int {
        var count = 0
        try eachStem(dir, suffix: ".json") { _ in count += 1 }
        return count
    }

    /// The first `count` names in `dir` that end in `suffix` and, without it, sort after `after` (from the first
    /// when nil), without it and sorted by their bytes: a page of `list`, sorted, without a string of every name (a
    /// page of 100,000 names: ~31 ms, of which the kernel's readdir ~30, against ~56 through `list`).
    static func firstNames(in dir: String, suffix: String, after: String?, count: Int) throws -> [String] {
        guard count > 0 else { return [] }
        let after = after.map { Array($0.utf8) }
        var first: [[UInt8]] = []  // sorted; `count` at most
        try eachStem(dir, suffix: suffix) { stem in
            if let after, !after.lexicographicallyPrecedes(stem) { return }
            if first.count == count, let last = first.last, !stem.lexicographicallyPrecedes(last) { return }
            var low = first.startIndex
            var high = first.endIndex
            while low < high {
                let mid = low + (high - low) / 2
                if first[mid].lexicographicallyPrecedes(stem) { low = mid + 1 } else { high = mid }
            }
            first.insert(Array(stem), at: low)
            if first.count > count { first.removeLast() }
        }
        return first.map { String(decoding: $0, as: UTF8.self) }
    }

    /// `eachName` for the names ending in `suffix`, without it.
    private static func eachStem(
        _ dir: String, suffix: String, _ body: (Slice<UnsafeRawBufferPointer>) -> Void
    ) throws {
        let suffix = Array(suffix.utf8)
        try eachName(dir) { name in
            if name.count >= suffix.count && name.suffix(suffix.count).elementsEqual(suffix) {
                body(name.dropLast(suffix.count))
            }
        }
    }

    /// Calls `body` with the bytes of each name in `dir` (valid during the call only) but `.`, `..` and temp files;
    /// a missing folder has none.
    private static func eachName(_ dir: String, _ body: (Slice<UnsafeRawBufferPointer>) -> Void) throws {
        guard let d = opendir(dir) else {
            if errno == ENOENT { return }
            throw Failure(operation: "opendir", path: dir, code: errno)
        }
        defer { closedir(d) }
        let dot = UInt8(ascii: ".")
        while let entry = readdir(d) {
            withUnsafeBytes(of: entry.pointee.d_name) { raw in
                let name = raw.prefix { $0 != 0 }
                if name.elementsEqual([dot]) || name.elementsEqual([dot, dot]) || name.starts(with: tempPrefixBytes) {
                    return
                }
                body(name)
            }
        }
    }

    private static let tempPrefixBytes = Array(tempPrefix.utf8)

    /// Removes a folder tree (used only for trees already renamed out of readers' sight).
    static func removeTree(_ path: String) {
        if let names = try? listAll(path) {
            for name in names {
                let child = path + "/" + name
                var st = stat()
                if lstat(child, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR {
                    removeTree(child)
                } else {
                    unlink(child)
                }
            }
        }
        rmdir(path)
    }

    private static func listAll(_ dir: String) throws -> [String] {
        guard let d = opendir(dir) else { throw Failure(operation: "opendir", path: dir, code: errno) }
        defer { closedir(d) }
        var names: [String] = []
        while let entry = readdir(d) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { ptr in
                ptr.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Removes temp files left by writers that no longer run (their pid is gone), in `dir` and below.
    static func removeStaleTempFiles(in dir: String, depth: Int = 4) {
        guard depth > 0, let names = try? listAll(dir) else { return }
        for name in names {
            let child = dir + "/" + name
            if name.hasPrefix(tempPrefix) {
                let parts = name.dropFirst(tempPrefix.count).split(separator: ".")
                if let pidText = parts.first, let pid = pid_t(pidText), pid != getpid(),
                    kill(pid, 0) != 0, errno == ESRCH
                {
                    // A pool folder renamed aside for deletion is a tree; anything else a file.
                    var st = stat()
                    if lstat(child, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR {
                        removeTree(child)
                    } else {
                        unlink(child)
                    }
                }
                continue
            }
            var st = stat()
            if lstat(child, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR {
                removeStaleTempFiles(in: child, depth: depth - 1)
            }
        }
    }

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    static func randomHex(_ count: Int) -> String {
        Hex.encode(SystemRandom().bytes(count))
    }

    private static let upperHex: [UInt8] = Array("0123456789ABCDEF".utf8)

    /// Turns any string (a username, an alias value, an id) into one safe file-name component: letters,
    /// digits, `-` and `_` stand as they are; every other byte of its UTF-8 is `%XX`. So no input can name
    /// `.`, `..` or a path with `/`, and distinct inputs give distinct names. Names that would be too long
    /// for a file system keep a readable prefix and end in the SHA-256 of the whole.
    static func fileKey(_ raw: String) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(raw.utf8.count)
        for b in raw.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
                bytes.append(b)
            default:
                bytes.append(UInt8(ascii: "%"))
                bytes.append(upperHex[Int(b >> 4)])
                bytes.append(upperHex[Int(b & 0xF)])
            }
        }
        let out = String(decoding: bytes, as: UTF8.self)
        if out.isEmpty { return "%" }
        if out.utf8.count <= 180 { return out }
        let digest = Hex.encode(Array(SHA256.hash(data: Array(raw.utf8))))
        return String(out.prefix(90)) + "~" + digest
    }
}
