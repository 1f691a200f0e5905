import Foundation
import Logging
import Testing

#if canImport(Glibc)
import Glibc
#endif

@testable import Handlers

/// A fresh temp folder per test, removed afterwards.
final class TempDirectory {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "cognito-test-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// A clock tests move by hand.
final class TestClock: Clock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date
    init(_ start: Date = Date(timeIntervalSince1970: 1_790_000_000)) { current = start }
    func now() -> Date { lock.withLock { current } }
    func advance(_ seconds: TimeInterval) { lock.withLock { current += seconds } }
}

/// Lets every request through, as `--auth any-signature` would for a signed one; SigV4 has its own tests.
struct AllowAll: RequestAuthenticator {
    func authenticate(_ request: Request, now: Date) throws(AWSError) {}
}

/// The in-process service over a temp data folder: what the FastCGI front end would call, minus libfcgi.
final class Harness {
    let dir = TempDirectory()
    let clock = TestClock()
    let services: Services
    let service: Service

    /// `fileClock`: the wall clock of the store's record caches (`RecordCache`); nil for the real one, under which
    /// files written moments ago are always read again.
    init(config: (inout Config) -> Void = { _ in }, fileClock: (@Sendable () -> Int)? = nil) throws {
        var cfg = Config(dataDirectory: URL(fileURLWithPath: dir.path))
        config(&cfg)
        let store = try Store(root: dir.path, fileClock: fileClock)
        // Cheap Argon2id parameters keep the suite fast; PasswordHasherTests covers the real ones.
        let passwords = try PasswordHasher(.init(memoryKiB: 64, iterations: 1, allowWeakParameters: true))
        services = Services(
            config: cfg, store: store, clock: clock, logger: Logger(label: "test"),
            sender: OutboxSender(dataDirectory: store.root, clock: clock), passwords: passwords,
            // Pre-made RSA keys (PoolKeysTests.swift) save ~100 ms per pool; pools may then share a key, so tests
            // that need distinct keys per pool build their own PoolKeyCache().
            keys: PoolKeyCache(makeKey: TestKeys.next))
        service = Service(services: services, authenticator: AllowAll())
    }

    var store: Store { services.store }

    /// The file system work `body` did where a record or a message would be written: whether it made or removed an
    /// entry in pool `poolId`'s users folder, and in the outbox folder (`entriesChanged`).
    func writes(in poolId: String, _ body: () throws -> Void) rethrows -> (users: Bool, outbox: Bool) {
        let folders = [store.poolDirectory(poolId) + "/users", dir.path + "/" + OutboxSender.folderName]
        let changed = try Self.entriesChanged(in: folders, during: body)
        return (changed[0], changed[1])
    }

    /// For each of `folders`, whether `body` made or removed an entry in it: their modification times are set to the
    /// epoch first, and any change of their entries sets them to now. A folder that does not exist was not changed.
    static func entriesChanged(in folders: [String], during body: () throws -> Void) rethrows -> [Bool] {
        for folder in folders {
            var epoch = [timespec(tv_sec: 0, tv_nsec: 0), timespec(tv_sec: 0, tv_nsec: 0)]
            if utimensat(AT_FDCWD, folder, &epoch, 0) != 0 && errno != ENOENT {
                Issue.record("cannot set the modification time of \(folder): errno \(errno)")
            }
        }
        try body()
        return folders.map { folder in
            var st = stat()
            return stat(folder, &st) == 0 && st.st_mtim.tv_sec != 0
        }
    }

    /// Messages delivered so far (codes, invitations), oldest first.
    func outbox() -> [Message] {
        (try? OutboxSender.messages(in: dir.path + "/" + OutboxSender.folderName)) ?? []
    }

    /// Calls `operation` over the JSON protocol; returns the HTTP status and the parsed body.
    @discardableResult
    func call(_ operation: String, _ input: JSON) -> (status: Int, body: JSON) {
        let request = Request(
            method: "POST", path: "/",
            headers: [
                "X-Amz-Target": Service.targetPrefix + operation, "Content-Type": "application/x-amz-json-1.1",
            ],
            body: input.serialized())
        let response = service.handle(request)
        return (response.status, (try? JSON.parse(response.body)) ?? .null)
    }

    /// Calls `operation` and expects success; returns the output.
    @discardableResult
    func ok(_ operation: String, _ input: JSON, sourceLocation: SourceLocation = #_sourceLocation) -> JSON {
        let (status, body) = call(operation, input)
        #expect(status == 200, "\(operation) failed: \(body.serializedString())", sourceLocation: sourceLocation)
        return body
    }

    /// Calls `operation` and expects the AWS error `type`; returns the message.
    @discardableResult
    func fails(_ operation: String, _ input: JSON, _ type: String, sourceLocation: SourceLocation = #_sourceLocation) -> String {
        let (status, body) = call(operation, input)
        #expect(status >= 400, "\(operation) unexpectedly succeeded", sourceLocation: sourceLocation)
        #expect(body["__type"]?.stringValue == type, "\(operation): got \(body.serializedString())", sourceLocation: sourceLocation)
        return body["message"]?.stringValue ?? ""
    }

    /// Calls `operation` in the seed's query form (`GET /?Action=...`).
    func query(_ operation: String, _ params: [(String, String)]) -> (status: Int, body: JSON) {
        let all = [("Action", operation)] + params
        let query = all.map { "\(QueryFormTestEncoding.encode($0.0))=\(QueryFormTestEncoding.encode($0.1))" }.joined(separator: "&")
        let response = service.handle(Request(method: "GET", path: "/", query: query))
        return (response.status, (try? JSON.parse(response.body)) ?? .null)
    }

    /// A snapshot of every file under the data folder (path → bytes), to prove an error changed nothing.
    /// Every data file and its bytes. User lock stripes (`pools/<id>/locks/<n>`, empty, made on first use) hold
    /// no data and are left out.
    func snapshot() -> [String: Data] {
        var out: [String: Data] = [:]
        let root = URL(fileURLWithPath: dir.path)
        if let e = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) {
            for case let url as URL in e where url.deletingLastPathComponent().lastPathComponent != "locks" {
                if let d = try? Data(contentsOf: url) { out[url.path] = d }
            }
        }
        return out
    }
}

enum QueryFormTestEncoding {
    static func encode(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }
}

extension JSON: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSON)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}
