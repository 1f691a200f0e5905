import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One IAM access key pair from `<data>/credentials.json`.
public struct AccessKey: Codable, Equatable, Sendable {
    public var accessKeyId: String
    public var secretAccessKey: String
    /// When the key was made, ISO 8601 UTC (`2026-11-28T00:00:00Z`).
    public var created: String

    public init(accessKeyId: String, secretAccessKey: String, created: String) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.created = created
    }

    /// A new random pair shaped like AWS's: `AKIA` + 16 upper-case letters/digits, and a 40-character secret.
    public static func generate(random: any RandomSource, now: Date) -> AccessKey {
        AccessKey(
            accessKeyId: "AKIA" + random.string(16, alphabet: "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
            secretAccessKey: random.string(
                40, alphabet: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"),
            created: UTCTime.iso8601(UTCTime.seconds(now)))
    }
}

/// Where `SigV4Verifier` finds the secret of an access key.
public protocol CredentialsProvider: Sendable {
    /// The secret access key of `accessKeyId`, or nil when there is no such key.
    func secretAccessKey(for accessKeyId: String) throws(AWSError) -> String?
}

/// A fixed set of keys, for tests and for embedding the handlers elsewhere.
public struct StaticCredentials: CredentialsProvider {
    private let secrets: [String: String]

    public init(_ keys: [AccessKey]) {
        var secrets: [String: String] = [:]
        for key in keys { secrets[key.accessKeyId] = key.secretAccessKey }
        self.secrets = secrets
    }

    public func secretAccessKey(for accessKeyId: String) throws(AWSError) -> String? { secrets[accessKeyId] }
}

/// A failure reading or writing the credentials file, with the detail an operator needs.
public struct CredentialsFileError: Error, CustomStringConvertible {
    public let description: String
}

/// The deployment's IAM keys: `<data>/credentials.json` (mode 0600), `{"keys":[{accessKeyId, secretAccessKey,
/// created}]}`.
///
/// Readers keep the parsed file and `stat` the path on every lookup; the file is re-read only when its device,
/// inode, size, mtime or ctime differ, so a key added by `keys create` works in running workers at once.
/// Writers (`create`) hold `flock(LOCK_EX)` on `<data>/credentials.lock` for the whole read-modify-write, so
/// concurrent creates never lose a key, and replace the file atomically (temp file, fsync, rename, fsync folder):
/// a reader sees the old file or the new one, never half of either.
public final class CredentialsFile: CredentialsProvider, @unchecked Sendable {
    public static let fileName = "credentials.json"
    public static let lockFileName = "credentials.lock"

    public let directory: String
    public let path: String
    public let lockPath: String
    private let logger: Logger

    /// The last file parsed, keyed by the identity it had when read. Guarded by `mutex`.
    private var cached: Snapshot?
    private let mutex = NSLock()

    private struct FileContents: Codable {
        var keys: [AccessKey]
    }

    /// What identifies one version of the file; a rename always brings a new inode.
    private struct Identity: Equatable {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var mtime: (Int, Int)
        var ctime: (Int, Int)

        init(_ st: stat) {
            device = UInt64(st.st_dev)
            inode = UInt64(st.st_ino)
            size = Int64(st.st_size)
            #if canImport(Darwin)
                mtime = (Int(st.st_mtimespec.tv_sec), Int(st.st_mtimespec.tv_nsec))
                ctime = (Int(st.st_ctimespec.tv_sec), Int(st.st_ctimespec.tv_nsec))
            #else
                mtime = (Int(st.st_mtim.tv_sec), Int(st.st_mtim.tv_nsec))
                ctime = (Int(st.st_ctim.tv_sec), Int(st.st_ctim.tv_nsec))
            #endif
        }

        static func == (a: Identity, b: Identity) -> Bool {
            a.device == b.device && a.inode == b.inode && a.size == b.size && a.mtime == b.mtime
                && a.ctime == b.ctime
        }
    }

    private struct Snapshot {
        /// nil when the file does not exist.
        var identity: Identity?
        var keys: [AccessKey]
        var secrets: [String: String]
    }

    public init(dataDirectory: URL, logger: Logger = Logger(label: "cognito-fcgi.credentials")) {
        directory = dataDirectory.path
        path = directory + "/" + Self.fileName
        lockPath = directory + "/" + Self.lockFileName
        self.logger = logger
    }

    // MARK: Reading (the hot path)

    public func secretAccessKey(for accessKeyId: String) throws(AWSError) -> String? {
        try current().secrets[accessKeyId]
    }

    /// The keys in the file now (none when it does not exist).
    public func keys() throws(AWSError) -> [AccessKey] {
        try current().keys
    }

    private func current() throws(AWSError) -> Snapshot {
        var st = stat()
        let identity: Identity?
        if stat(path, &st) == 0 {
            identity = Identity(st)
        } else if errno == ENOENT || errno == ENOTDIR {
            identity = nil
        } else {
            let code = errno
            logger.error("credentials file unreadable", metadata: ["path": "\(path)", "error": "\(describe(code))"])
            throw AWSError.internalError
        }
        mutex.lock()
        defer { mutex.unlock() }
        if let cached, cached.identity == identity { return cached }
        do {
            let snapshot = try load()
            cached = snapshot
            return snapshot
        } catch {
            logger.error("credentials file unusable", metadata: ["path": "\(path)", "error": "\(error)"])
            throw AWSError.internalError
        }
    }

    /// Reads and parses the file; the identity comes from the descriptor actually read, so a rename racing with
    /// the read can at worst cause one more reload, never a stale cache.
    private func load() throws(CredentialsFileError) -> Snapshot {
        guard let (st, bytes) = try readFile() else { return Snapshot(identity: nil, keys: [], secrets: [:]) }
        if st.st_mode & 0o077 != 0 {
            logger.warning(
                "credentials file is readable by others; it should be mode 0600",
                metadata: ["path": "\(path)", "mode": "\(String(st.st_mode & 0o777, radix: 8))"])
        }
        let contents = try decode(bytes)
        var secrets: [String: String] = [:]
        for key in contents.keys { secrets[key.accessKeyId] = key.secretAccessKey }
        return Snapshot(identity: Identity(st), keys: contents.keys, secrets: secrets)
    }

    private func readFile() throws(CredentialsFileError) -> (stat, [UInt8])? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw CredentialsFileError(description: "open \(path): \(describe(errno))")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw CredentialsFileError(description: "fstat \(path): \(describe(errno))") }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: max(4096, Int(st.st_size) + 1))
        while true {
            let n = chunk.withUnsafeMutableBytes { buf in systemRead(fd, buf.baseAddress, buf.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw CredentialsFileError(description: "read \(path): \(describe(errno))")
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return (st, bytes)
    }

    private func decode(_ bytes: [UInt8]) throws(CredentialsFileError) -> FileContents {
        do {
            return try JSONDecoder().decode(FileContents.self, from: Data(bytes))
        } catch {
            throw CredentialsFileError(description: "\(path) is not a valid credentials file: \(error)")
        }
    }

    // MARK: Writing

    /// Adds a new random key pair to the file (creating it, mode 0600, if needed) and returns it.
    @discardableResult
    public func create(random: any RandomSource, now: Date) throws -> AccessKey {
        try FileSystem.makeDirectory(directory)
        let lockFd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard lockFd >= 0 else { throw CredentialsFileError(description: "open \(lockPath): \(describe(errno))") }
        // Closing the descriptor releases the lock.
        defer { close(lockFd) }
        while flock(lockFd, LOCK_EX) != 0 {
            if errno == EINTR { continue }
            throw CredentialsFileError(description: "flock \(lockPath): \(describe(errno))")
        }
        // Never overwrite a file we cannot parse: that would drop every key in it.
        var contents = try readFile().map { try decode($0.1) } ?? FileContents(keys: [])
        var key = AccessKey.generate(random: random, now: now)
        while contents.keys.contains(where: { $0.accessKeyId == key.accessKeyId }) {
            key = AccessKey.generate(random: random, now: now)
        }
        contents.keys.append(key)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(contents)
        try FileSystem.writeAtomically(path, Array(data) + [UInt8(ascii: "\n")], mode: 0o600)
        return key
    }
}

private func describe(_ code: Int32) -> String { String(cString: strerror(code)) }

private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    #if canImport(Glibc)
        return Glibc.read(fd, buffer, count)
    #else
        return Darwin.read(fd, buffer, count)
    #endif
}
