#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Crypto
import Foundation
import _CryptoExtras

/// One RSA-2048 signing key of a pool, parsed once per process.
///
/// Stored as `pools/<poolId>/keys/<kid>.json` (0600, written once and never changed):
/// `{"Kid": ..., "Algorithm": "RS256", "Created": <epoch s>, "Use": "access"|"id", "PrivateKey": "-----BEGIN RSA
/// PRIVATE KEY-----..."}`. `Use` says which tokens the key signs; keys made before it had none (`nil`: both).
public struct PoolKey: Sendable {
    public static let algorithm = "RS256"

    /// Which tokens a key signs. AWS makes two key pairs per user pool, one signing access tokens and one ID tokens
    /// (its JWKS lists both); so does `PoolKeyCache`.
    public enum Use: String, Sendable, CaseIterable {
        case access, id
    }

    public let kid: String
    public let created: Date
    public let use: Use?
    let privateKey: _RSA.Signing.PrivateKey
    public let publicKey: _RSA.Signing.PublicKey
    /// The public half as a JWK (RFC 7517/7518): `kty`, `alg`, `use`, `kid`, `n`, `e`.
    public let jwk: JSON

    init(kid: String, created: Date, use: Use? = nil, privateKey: _RSA.Signing.PrivateKey) throws {
        self.kid = kid
        self.created = created
        self.use = use
        self.privateKey = privateKey
        publicKey = privateKey.publicKey
        let numbers = try publicKey.getKeyPrimitives()
        jwk = .object([
            "kty": .string("RSA"), "alg": .string(Self.algorithm), "use": .string("sig"), "kid": .string(kid),
            "n": .string(Base64URL.encode(Self.unsigned(numbers.modulus))),
            "e": .string(Base64URL.encode(Self.unsigned(numbers.publicExponent))),
        ])
    }

    /// A fresh key. The key material comes from BoringSSL's own CSPRNG (it takes no other); the `kid` is the
    /// SHA-256 of the public key (DER), in standard base64: the shape of AWS's kids, unique to the key, and
    /// never pointing at the wrong one.
    static func generate(now: Date, use: Use? = nil, makeKey: () throws -> _RSA.Signing.PrivateKey) throws -> PoolKey {
        let privateKey = try makeKey()
        return try PoolKey(kid: thumbprint(privateKey.publicKey), created: now, use: use, privateKey: privateKey)
    }

    static func thumbprint(_ key: _RSA.Signing.PublicKey) -> String {
        Data(SHA256.hash(data: key.derRepresentation)).base64EncodedString()
    }

    init(record: JSON) throws {
        guard let kid = record["Kid"]?.stringValue, record["Algorithm"]?.stringValue == Self.algorithm,
            let pem = record["PrivateKey"]?.stringValue
        else { throw RecordError.malformed("key") }
        var use: Use?
        if let stored = record["Use"] {
            guard let named = stored.stringValue.flatMap(Use.init(rawValue:)) else { throw RecordError.malformed("key") }
            use = named
        }
        try self.init(
            kid: kid, created: record["Created"]?.dateValue ?? Date(timeIntervalSince1970: 0), use: use,
            privateKey: _RSA.Signing.PrivateKey(pemRepresentation: pem))
    }

    var record: JSON {
        var fields: [String: JSON] = [
            "Kid": .string(kid), "Algorithm": .string(Self.algorithm), "Created": .date(created),
            "PrivateKey": .string(privateKey.pemRepresentation),
        ]
        if let use { fields["Use"] = .string(use.rawValue) }
        return .object(fields)
    }

    /// RSASSA-PKCS1-v1_5 with SHA-256 over `message` (JWS `RS256`).
    public func sign(_ message: some DataProtocol) throws -> [UInt8] {
        Array(try privateKey.signature(for: message, padding: .insecurePKCS1v1_5).rawRepresentation)
    }

    public func isValidSignature(_ signature: [UInt8], for message: some DataProtocol) -> Bool {
        publicKey.isValidSignature(
            _RSA.Signing.RSASignature(rawRepresentation: signature), for: message, padding: .insecurePKCS1v1_5)
    }

    /// JWK integers are unsigned big-endian without leading zero bytes (RFC 7518 §6.3.1).
    static func unsigned(_ bytes: Data) -> [UInt8] {
        let trimmed = Array(bytes.drop { $0 == 0 })
        return trimmed.isEmpty ? [0] : trimmed
    }
}

/// A pool's keys as one process has them: the newest for each use signs, any of them verifies (by `kid`), all are
/// published.
public struct PoolKeySet: Sendable {
    /// Newest first; never empty.
    public let keys: [PoolKey]
    /// Signs access tokens: the newest key not made for ID tokens (a pool's only key when it has one).
    public let signingKey: PoolKey
    /// Signs ID tokens: the newest key made for them, else `signingKey` (pools made with one key).
    public let idTokenKey: PoolKey

    init?(_ keys: [PoolKey]) {
        let sorted = keys.sorted { ($0.created, $0.kid) > ($1.created, $1.kid) }
        guard let first = sorted.first else { return nil }
        self.keys = sorted
        signingKey = sorted.first { $0.use != .id } ?? first
        idTokenKey = sorted.first { $0.use == .id } ?? signingKey
    }

    public func key(kid: String) -> PoolKey? {
        keys.first { $0.kid == kid }
    }

    /// The JWKS document: `{"keys": [...]}`.
    public var jwks: JSON { .object(["keys": .array(keys.map(\.jwk))]) }
}

/// Every pool's keys, parsed once per process and revalidated against the files on each use.
///
/// ## Files and locks
/// Key files are written once (atomically, under the pool's `LOCK_EX`) and never rewritten, so this cache reads
/// them without the pool lock: a reader sees a whole file or none. Whoever needs the pool to exist checks that under
/// its lock (`TokenCheck`'s `confirm`, `Discovery`).
///
/// ## Revalidation
/// Each use `stat`s `keys/` (`FileStamp`): unchanged means the cached keys are current, one syscall. A changed
/// folder is listed again, and each file whose stamp is unchanged keeps its parsed key; only new files are parsed.
/// A listing made within `FileStamp.racyWindow` of the folder's last change is not trusted and is redone next
/// time (cheap: no file is parsed twice).
public final class PoolKeyCache: @unchecked Sendable {
    static let folder = "keys"
    /// Parsed key folders by path.
    private let entries: BoundedMap<String, Entry>
    private let lock = NSLock()
    private var parsedCount = 0
    let makeKey: @Sendable () throws -> _RSA.Signing.PrivateKey
    /// Access tokens whose signature was verified with these keys (`TokenCheck.verify`).
    public let verifiedTokens = VerifiedTokens()

    /// - Parameters:
    ///   - capacity: how many pools' keys to keep parsed (beyond it, an arbitrary entry is dropped).
    ///   - makeKey: how new private keys are made; tests may hand out pre-made keys to save ~100 ms per pool.
    public init(
        capacity: Int = 10_000,
        makeKey: @escaping @Sendable () throws -> _RSA.Signing.PrivateKey = {
            try _RSA.Signing.PrivateKey(keySize: .bits2048)
        }
    ) {
        entries = BoundedMap(capacity: max(1, capacity))
        self.makeKey = makeKey
    }

    /// How many key files this cache has parsed so far (tests use it to prove reuse).
    public var parses: Int { lock.withLock { parsedCount } }

    struct Entry {
        var stamp: FileStamp
        /// Listed too soon after the folder changed to trust an equal stamp (see the type's comment).
        var racy: Bool
        var files: [String: (FileStamp, PoolKey)]
        var set: PoolKeySet?
    }

    // MARK: Reading

    /// The keys `poolId` has on disk, or nil when it has none (a pool made before keys existed, or no such pool).
    /// Takes no lock and creates nothing.
    public func keys(of poolId: String, in store: Store) throws -> PoolKeySet? {
        try load(store.poolDirectory(poolId) + "/" + Self.folder, force: false)
    }

    /// The pool's keys, creating its first ones if it has none (pools created before keys existed). Throws
    /// `ResourceNotFoundException` for an unknown pool. It may take the pool's exclusive lock: never call it from
    /// inside a transaction.
    public func ensureKeys(of poolId: String, services: Services) throws -> PoolKeySet {
        let store = services.store
        if let set = try keys(of: poolId, in: store) { return set }
        // Refuse unknown pools before spending ~100 ms a key.
        try store.withPool(poolId, .shared) { _ in }
        let candidates = try newKeys(now: services.clock.now())
        try store.withPool(poolId, .exclusive) { tx in
            if try tx.storedNames(Self.folder).isEmpty {
                for key in candidates { try tx.write(Self.folder, key.kid, key.record) }
            }
        }
        let path = store.poolDirectory(poolId) + "/" + Self.folder
        guard let set = try load(path, force: true) else {
            throw RecordError.malformed("key folder of pool \(poolId)")
        }
        return set
    }

    /// Makes and writes a new pool's keys, one for access tokens and one for ID tokens. CreateUserPool calls it
    /// inside `createPool`'s body, before `pool.json` exists: no reader can wait on the lock for them yet.
    public func createKeys(in tx: PoolTransaction, now: Date) throws {
        for key in try newKeys(now: now) { try tx.write(Self.folder, key.kid, key.record) }
    }

    /// A key for each use. Two distinct keys, even from a `makeKey` that hands out the same key again (tests').
    private func newKeys(now: Date) throws -> [PoolKey] {
        let access = try PoolKey.generate(now: now, use: .access, makeKey: makeKey)
        var id = try PoolKey.generate(now: now, use: .id, makeKey: makeKey)
        while id.kid == access.kid { id = try PoolKey.generate(now: now, use: .id, makeKey: makeKey) }
        return [access, id]
    }

    // MARK: -

    private func load(_ path: String, force: Bool) throws -> PoolKeySet? {
        guard let stamp = try FileStamp.of(path) else {
            entries.remove(path)
            return nil
        }
        let cached = entries[path]
        if let cached, !force, !cached.racy, cached.stamp == stamp { return cached.set }

        var files: [String: (FileStamp, PoolKey)] = [:]
        var parsed = 0
        for name in try FileSystem.list(path) where name.hasSuffix(".json") {
            let file = path + "/" + name
            guard let fileStamp = try FileStamp.of(file) else { continue }  // removed since the listing
            if let hit = cached?.files[name], hit.0 == fileStamp {
                files[name] = hit
                continue
            }
            guard let bytes = try FileSystem.read(file) else { continue }
            let json: JSON
            do {
                json = try JSON.parse(bytes)
            } catch {
                throw RecordError.malformed("key file \(file)")
            }
            files[name] = (fileStamp, try PoolKey(record: json))
            parsed += 1
        }
        let set = PoolKeySet(files.values.map(\.1))
        let racy = stamp.isRacy()
        lock.withLock { parsedCount += parsed }
        entries.set(Entry(stamp: stamp, racy: racy, files: files, set: set), for: path)
        return set
    }
}
