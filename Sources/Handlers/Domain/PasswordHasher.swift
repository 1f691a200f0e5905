import CArgon2

/// Hashes and verifies user passwords with Argon2id (Debian's libargon2, the reference implementation), stored
/// as standard PHC strings: `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>` (unpadded standard base64). The
/// parameters travel with each hash, so they can be raised later: `needsRehash` says when a stored hash is weaker
/// than the configuration, and the sign-in path rehashes the user after a successful verification.
///
/// Hashing is deliberately slow and memory-hungry (~19 MiB per call at the defaults): **never call `hash` or
/// `verify` while holding a store lock.** Hash before taking the exclusive lock, verify after reading the record
/// under a shared lock and releasing it.
///
/// Passwords are hashed as the UTF-8 bytes of the string as given, with no Unicode normalisation: AWS compares
/// passwords exactly, so "é" (U+00E9) and "e\u{301}" are different passwords here too.
public struct PasswordHasher: Sendable {
    /// Argon2id cost parameters.
    public struct Configuration: Sendable, Equatable {
        /// Memory in KiB (libargon2's `m_cost`).
        public var memoryKiB: UInt32
        /// Passes over memory (`t_cost`).
        public var iterations: UInt32
        /// Lanes (`p`); libargon2 runs one thread per lane.
        public var parallelism: UInt32
        /// Allows parameters below OWASP's minimum (m = 19456 KiB, t = 2, p = 1). For test setups only, where
        /// hundreds of hashes would otherwise dominate the run time; the process front end logs a warning at
        /// start-up when this is set. Without it, `PasswordHasher.init` refuses weaker parameters.
        public var allowWeakParameters: Bool

        /// OWASP's recommended Argon2id minimum (Password Storage Cheat Sheet): 19 MiB, 2 iterations, 1 lane.
        public static let owaspMinimum = Configuration(memoryKiB: 19456, iterations: 2, parallelism: 1)

        public init(memoryKiB: UInt32 = 19456, iterations: UInt32 = 2, parallelism: UInt32 = 1,
                    allowWeakParameters: Bool = false) {
            self.memoryKiB = memoryKiB
            self.iterations = iterations
            self.parallelism = parallelism
            self.allowWeakParameters = allowWeakParameters
        }

        /// True when any parameter is below OWASP's minimum.
        public var isWeak: Bool {
            memoryKiB < Self.owaspMinimum.memoryKiB || iterations < Self.owaspMinimum.iterations
        }
    }

    public enum Error: Swift.Error, Equatable, CustomStringConvertible {
        /// Parameters below OWASP's minimum without `allowWeakParameters`.
        case weakParameters(Configuration)
        /// Parameters libargon2 or our own ceilings refuse.
        case invalidParameters(String)
        /// libargon2 failed (e.g. it could not allocate the memory); `code` is its error code.
        case argon2(code: Int32, message: String)

        public var description: String {
            switch self {
            case .weakParameters(let c):
                return "Argon2id parameters m=\(c.memoryKiB),t=\(c.iterations),p=\(c.parallelism) are below OWASP's "
                    + "minimum (m=19456,t=2,p=1); set allowWeakParameters to use them in a test setup"
            case .invalidParameters(let why): return "invalid Argon2id parameters: \(why)"
            case .argon2(let code, let message): return "libargon2 error \(code): \(message)"
            }
        }
    }

    /// Ceilings on parameters, both configured and read back from a stored hash: a corrupted or hostile record
    /// must not make `verify` allocate gigabytes or spin for minutes.
    static let maximumMemoryKiB: UInt32 = 4 * 1024 * 1024  // 4 GiB
    static let maximumIterations: UInt32 = 1000
    static let maximumParallelism: UInt32 = 64
    static let saltLength = 16
    static let hashLength = 32

    public let configuration: Configuration

    /// A hasher whose configuration is known good (the defaults).
    init(validated configuration: Configuration) {
        self.configuration = configuration
    }

    /// Throws `Error.weakParameters` when the configuration is below OWASP's minimum without the opt-in, and
    /// `Error.invalidParameters` when libargon2 could not use it.
    public init(_ configuration: Configuration = Configuration()) throws {
        if configuration.isWeak && !configuration.allowWeakParameters {
            throw Error.weakParameters(configuration)
        }
        let c = configuration
        guard c.parallelism >= 1, c.parallelism <= Self.maximumParallelism else {
            throw Error.invalidParameters("parallelism must be 1...\(Self.maximumParallelism)")
        }
        guard c.iterations >= 1, c.iterations <= Self.maximumIterations else {
            throw Error.invalidParameters("iterations must be 1...\(Self.maximumIterations)")
        }
        // libargon2 needs at least 8 KiB per lane.
        guard c.memoryKiB >= 8 * c.parallelism, c.memoryKiB <= Self.maximumMemoryKiB else {
            throw Error.invalidParameters("memory must be \(8 * c.parallelism)...\(Self.maximumMemoryKiB) KiB")
        }
        self.configuration = configuration
    }

    /// A PHC string for `password` with a fresh 16-byte salt from `random`.
    public func hash(_ password: String, random: any RandomSource) throws -> String {
        let salt = random.bytes(Self.saltLength)
        guard salt.count == Self.saltLength else {
            throw Error.invalidParameters("random source returned \(salt.count) bytes for the salt")
        }
        let c = configuration
        let length = argon2_encodedlen(
            c.iterations, c.memoryKiB, c.parallelism, UInt32(Self.saltLength), UInt32(Self.hashLength), Argon2_id)
        var encoded = [CChar](repeating: 0, count: length)
        var pwd = Array(password.utf8)
        defer { Self.wipe(&pwd) }
        let rc = pwd.withUnsafeBytes { p in
            salt.withUnsafeBytes { s in
                argon2id_hash_encoded(
                    c.iterations, c.memoryKiB, c.parallelism, p.baseAddress, p.count, s.baseAddress, s.count,
                    Self.hashLength, &encoded, encoded.count)
            }
        }
        guard rc == ARGON2_OK.rawValue else { throw Self.failure(rc) }
        // `encoded` is NUL-terminated within its buffer (argon2_encodedlen counts the terminator).
        let bytes = encoded.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// True when `password` matches the stored PHC string. The comparison is libargon2's constant-time one. A
    /// malformed, unknown-algorithm or out-of-bounds string is simply `false`.
    public func verify(_ password: String, against phc: String) -> Bool {
        guard let stored = PHC(phc) else { return false }
        var pwd = Array(password.utf8)
        defer { Self.wipe(&pwd) }
        let rc = phc.withCString { encoded in
            pwd.withUnsafeBytes { p in argon2_verify(encoded, p.baseAddress, p.count, stored.type) }
        }
        return rc == ARGON2_OK.rawValue
    }

    /// True when the stored hash should be replaced at the next successful sign-in: it is not Argon2id version
    /// 0x13, its memory or iteration cost is below the configured one, its salt or hash is shorter than ours, or it
    /// cannot be read at all.
    public func needsRehash(_ phc: String) -> Bool {
        guard let stored = PHC(phc) else { return true }
        return stored.type != Argon2_id || stored.version != UInt32(ARGON2_VERSION_13.rawValue)
            || stored.memoryKiB < configuration.memoryKiB || stored.iterations < configuration.iterations
            || stored.saltLength < Self.saltLength || stored.hashLength < Self.hashLength
    }

    private static func failure(_ rc: Int32) -> Error {
        let message = argon2_error_message(rc).map { String(cString: $0) } ?? "unknown"
        return .argon2(code: rc, message: message)
    }

    /// Best-effort: clears our copy of the password bytes once libargon2 is done with them.
    private static func wipe(_ bytes: inout [UInt8]) {
        for i in bytes.indices { bytes[i] = 0 }
    }
}

/// The fields of a PHC string, read strictly before anything reaches libargon2 (which would otherwise allocate
/// whatever memory cost the string names). `nil` for anything malformed or beyond our ceilings.
struct PHC: Equatable {
    var type: argon2_type
    var version: UInt32
    var memoryKiB: UInt32
    var iterations: UInt32
    var parallelism: UInt32
    var saltLength: Int
    var hashLength: Int

    init?(_ text: String) {
        // `$argon2id$v=19$m=..,t=..,p=..$salt$hash`; libargon2 also reads strings without `v=` as version 0x10.
        var parts = text.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 5 || parts.count == 6, parts[0].isEmpty else { return nil }
        switch parts[1] {
        case "argon2id": type = Argon2_id
        case "argon2i": type = Argon2_i
        case "argon2d": type = Argon2_d
        default: return nil
        }
        if parts.count == 6 {
            guard parts[2].hasPrefix("v="), let v = Self.number(parts[2].dropFirst(2)),
                v == UInt32(ARGON2_VERSION_10.rawValue) || v == UInt32(ARGON2_VERSION_13.rawValue)
            else { return nil }
            version = v
            parts.remove(at: 2)
        } else {
            version = UInt32(ARGON2_VERSION_10.rawValue)
        }
        let params = parts[2].split(separator: ",", omittingEmptySubsequences: false)
        guard params.count == 3, params[0].hasPrefix("m="), params[1].hasPrefix("t="), params[2].hasPrefix("p="),
            let m = Self.number(params[0].dropFirst(2)), let t = Self.number(params[1].dropFirst(2)),
            let p = Self.number(params[2].dropFirst(2))
        else { return nil }
        guard p >= 1, p <= PasswordHasher.maximumParallelism, t >= 1, t <= PasswordHasher.maximumIterations,
            m >= 8 * p, m <= PasswordHasher.maximumMemoryKiB
        else { return nil }
        memoryKiB = m
        iterations = t
        parallelism = p
        // libargon2's minimums: 8-byte salt (ARGON2_MIN_SALT_LENGTH), 4-byte hash (ARGON2_MIN_OUTLEN).
        guard let salt = Self.base64Length(parts[3]), salt >= 8, let hash = Self.base64Length(parts[4]), hash >= 4
        else { return nil }
        saltLength = salt
        hashLength = hash
    }

    /// A decimal without sign or leading zeros (libargon2 rejects those too), within UInt32.
    private static func number(_ s: Substring) -> UInt32? {
        guard !s.isEmpty, s.count <= 10, s.allSatisfy({ $0.isASCII && $0.isNumber }),
            s == "0" || s.first != "0"
        else { return nil }
        return UInt32(s)
    }

    /// The decoded length of unpadded standard base64, or nil when `s` is not that.
    private static func base64Length(_ s: Substring) -> Int? {
        let ok = s.utf8.allSatisfy { b in
            (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || b == 0x2B || b == 0x2F
        }
        let n = s.utf8.count
        guard ok, n > 0, n % 4 != 1 else { return nil }
        return n / 4 * 3 + (n % 4 == 0 ? 0 : n % 4 - 1)
    }
}

extension PasswordHasher {
    /// The hasher at OWASP's parameters (the defaults always pass the strength check).
    public static var standard: PasswordHasher {
        PasswordHasher(validated: Configuration())
    }
}
