import CArgon2
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
///
/// Two things keep a worker's memory and CPU in check under a sign-up or sign-in load (docs/BENCHMARKS.md, levers 9
/// and 10): every computation, hash or verify, waits for a slot of `limit` (one per core by default, shared by the
/// whole process), and its memory is mapped outside malloc and handed back to the kernel as soon as no computation
/// is running or waiting (`Argon2Memory`).
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
    /// Shared by every hasher of the process unless a test hands in its own.
    public let limit: ConcurrencyLimit

    /// A hasher whose configuration is known good (the defaults).
    init(validated configuration: Configuration, limit: ConcurrencyLimit = .perProcess) {
        self.configuration = configuration
        self.limit = limit
    }

    /// Throws `Error.weakParameters` when the configuration is below OWASP's minimum without the opt-in, and
    /// `Error.invalidParameters` when libargon2 could not use it. `limit` is the process-wide one unless a test
    /// needs its own.
    public init(_ configuration: Configuration = Configuration(), limit: ConcurrencyLimit = .perProcess) throws {
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
        self.limit = limit
    }

    /// A PHC string for `password` with a fresh 16-byte salt from `random`: the string libargon2's own
    /// `argon2id_hash_encoded` makes (its encoder is not exported, so `PHC.encode` writes the same format).
    public func hash(_ password: String, random: any RandomSource) throws -> String {
        var salt = random.bytes(Self.saltLength)
        guard salt.count == Self.saltLength else {
            throw Error.invalidParameters("random source returned \(salt.count) bytes for the salt")
        }
        let c = configuration
        let parameters = Parameters(
            type: Argon2_id, version: UInt32(ARGON2_VERSION_13.rawValue), memoryKiB: c.memoryKiB,
            iterations: c.iterations, parallelism: c.parallelism)
        var out = [UInt8](repeating: 0, count: Self.hashLength)
        var pwd = Array(password.utf8)
        defer { Self.wipe(&pwd) }
        let rc = compute(parameters, password: &pwd, salt: &salt, out: &out) { argon2_ctx($0, parameters.type) }
        guard rc == ARGON2_OK.rawValue else { throw Self.failure(rc) }
        return PHC.encode(parameters, salt: salt, hash: out)
    }

    /// True when `password` matches the stored PHC string. The comparison is libargon2's constant-time one. A
    /// malformed, unknown-algorithm or out-of-bounds string is simply `false`.
    public func verify(_ password: String, against phc: String) -> Bool {
        guard let stored = PHC(phc) else { return false }
        var salt = stored.salt
        var out = [UInt8](repeating: 0, count: stored.hash.count)
        var pwd = Array(password.utf8)
        defer { Self.wipe(&pwd) }
        let rc = compute(stored.parameters, password: &pwd, salt: &salt, out: &out) { context in
            // Computes into `out`, then compares with the stored hash in constant time.
            stored.hash.withUnsafeBytes { expected in
                argon2_verify_ctx(
                    context, expected.baseAddress?.assumingMemoryBound(to: CChar.self), stored.parameters.type)
            }
        }
        return rc == ARGON2_OK.rawValue
    }

    /// The cost and variant of one computation: the configuration when hashing, the stored string's when verifying.
    struct Parameters: Equatable {
        var type: argon2_type
        var version: UInt32
        var memoryKiB: UInt32
        var iterations: UInt32
        var parallelism: UInt32
    }

    /// Runs `call` (libargon2's `argon2_ctx` or `argon2_verify_ctx`) on a context for these inputs, in a slot of
    /// `limit`, with its memory from `Argon2Memory`. The same path for hashing and verifying, so a sign-in costs
    /// what a sign-up does and neither keeps memory afterwards.
    private func compute(
        _ p: Parameters, password: inout [UInt8], salt: inout [UInt8], out: inout [UInt8],
        _ call: (UnsafeMutablePointer<argon2_context>) -> Int32
    ) -> Int32 {
        guard let pwdlen = UInt32(exactly: password.count) else { return ARGON2_PWD_TOO_LONG.rawValue }
        guard let saltlen = UInt32(exactly: salt.count), let outlen = UInt32(exactly: out.count) else {
            return ARGON2_DECODING_FAIL.rawValue
        }
        return password.withUnsafeMutableBufferPointer { pwd in
            salt.withUnsafeMutableBufferPointer { s in
                out.withUnsafeMutableBufferPointer { o in
                    // What `argon2_hash` and libargon2's decoder set, plus our allocator: no secret, no associated
                    // data, one thread per lane, no flags (we wipe the password ourselves).
                    var context = argon2_context(
                        out: o.baseAddress, outlen: outlen, pwd: pwd.baseAddress, pwdlen: pwdlen,
                        salt: s.baseAddress, saltlen: saltlen, secret: nil, secretlen: 0, ad: nil, adlen: 0,
                        t_cost: p.iterations, m_cost: p.memoryKiB, lanes: p.parallelism, threads: p.parallelism,
                        version: p.version, allocate_cbk: Argon2Memory.allocate, free_cbk: Argon2Memory.free,
                        flags: 0)
                    return limit.withSlot { call(&context) }
                }
            }
        }
    }

    /// True when the stored hash should be replaced at the next successful sign-in: it is not Argon2id version
    /// 0x13, its memory or iteration cost is below the configured one, its salt or hash is shorter than ours, or it
    /// cannot be read at all.
    public func needsRehash(_ phc: String) -> Bool {
        guard let stored = PHC(phc) else { return true }
        let p = stored.parameters
        return p.type != Argon2_id || p.version != UInt32(ARGON2_VERSION_13.rawValue)
            || p.memoryKiB < configuration.memoryKiB || p.iterations < configuration.iterations
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

extension PasswordHasher {
    /// The hasher at OWASP's parameters (the defaults always pass the strength check).
    public static var standard: PasswordHasher {
        PasswordHasher(validated: Configuration())
    }
}
