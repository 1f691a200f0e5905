import Foundation
import Logging

#if os(Linux)
import CSystem
#endif

/// Where "now" comes from; operations never call `Date()` so tests control time.
public protocol Clock: Sendable {
    func now() -> Date
}

public struct SystemClock: Clock {
    public init() {}
    public func now() -> Date { Date() }
}

/// Where random bytes come from; production uses the system CSPRNG.
public protocol RandomSource: Sendable {
    func bytes(_ count: Int) -> [UInt8]
}

public struct SystemRandom: RandomSource {
    public init() {}

    /// The kernel's CSPRNG. Small draws (a request id, a salt, a code, a token id: up to `RandomPool.largestDraw`
    /// bytes) come from the process's `RandomPool`; larger ones straight from one `getrandom(2)` call
    /// (`SystemRandomNumberGenerator` makes one call per 8 bytes: two for every request id).
    public func bytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        out.withUnsafeMutableBytes { buf in
            if buf.count <= RandomPool.largestDraw {
                RandomPool.shared.draw(into: buf)
            } else {
                Self.fill(buf)
            }
        }
        return out
    }

    /// Fills `buf` from the kernel's CSPRNG.
    static func fill(_ buf: UnsafeMutableRawBufferPointer) {
        #if os(Linux)
        var done = 0
        while done < buf.count {
            let n = getrandom(buf.baseAddress! + done, buf.count - done, 0)
            if n > 0 {
                done += n
            } else if n < 0 && errno != EINTR {
                // Not expected on any kernel this runs on (getrandom exists since 3.17); the generator that
                // never fails, a word at a time.
                var rng = SystemRandomNumberGenerator()
                for i in done..<buf.count { buf[i] = UInt8.random(in: .min ... .max, using: &rng) }
                done = buf.count
            }
        }
        #else
        if let base = buf.baseAddress { arc4random_buf(base, buf.count) }
        #endif
    }
}

/// Kernel randomness drawn 4 KiB at a time for the small draws every request makes: one `getrandom(2)` per ~250
/// request ids instead of one each (a system call was ~2 % of a cheap operation). As in BoringSSL's and OpenSSL's
/// pools, each byte is handed out once and zeroed in the pool as it goes. The pool is per process: workers are
/// started by exec, and the only other child (a sendmail command) by `posix_spawn`, so no copy of it ever lives on
/// in another process.
final class RandomPool: @unchecked Sendable {
    static let shared = RandomPool()
    /// The largest draw served from the pool.
    static let largestDraw = 64

    private let lock = NSLock()
    private var buffer = [UInt8](repeating: 0, count: 4096)
    private var next = 4096

    func draw(into out: UnsafeMutableRawBufferPointer) {
        precondition(out.count <= Self.largestDraw)
        lock.withLock {
            buffer.withUnsafeMutableBytes { pool in
                if next + out.count > pool.count {
                    SystemRandom.fill(pool)
                    next = 0
                }
                let taken = UnsafeMutableRawBufferPointer(rebasing: pool[next..<(next + out.count)])
                out.copyMemory(from: UnsafeRawBufferPointer(taken))
                taken.initializeMemory(as: UInt8.self, repeating: 0)
                next += out.count
            }
        }
    }
}

extension RandomSource {
    /// A string of `count` characters drawn uniformly from `alphabet` (rejection sampling, no modulo bias).
    public func string(_ count: Int, alphabet: String) -> String {
        let chars = Array(alphabet)
        precondition(!chars.isEmpty && chars.count <= 256)
        let limit = 256 - (256 % chars.count)
        var out = ""
        out.reserveCapacity(count)
        while out.count < count {
            for b in bytes(count * 2) where Int(b) < limit && out.count < count {
                out.append(chars[Int(b) % chars.count])
            }
        }
        return out
    }

    /// A random (version 4, RFC 4122 variant) UUID, lower-case `8-4-4-4-12`. Written straight into one 36-byte
    /// string: every request gets one as its id, and hex-encoding then slicing into five strings was ~4 % of a
    /// cheap operation's CPU.
    public func uuid() -> String {
        var b = bytes(16)
        b[6] = (b[6] & 0x0F) | 0x40
        b[8] = (b[8] & 0x3F) | 0x80
        return String(unsafeUninitializedCapacity: 36) { out in
            // `0`–`9`, `a`–`f` (87 = `a` − 10).
            func digit(_ n: UInt8) -> UInt8 { n < 10 ? n + UInt8(ascii: "0") : n + 87 }
            var o = 0
            for i in 0..<16 {
                if i == 4 || i == 6 || i == 8 || i == 10 {
                    out[o] = UInt8(ascii: "-")
                    o += 1
                }
                out[o] = digit(b[i] >> 4)
                out[o + 1] = digit(b[i] & 0x0F)
                o += 2
            }
            return o
        }
    }
}

/// How IAM operations are authorized.
public enum AuthMode: String, Sendable {
    /// Verify AWS Signature V4 against `<data>/credentials.json` (the default).
    case sigv4
    /// Emulator mode: accept any well-formed signature. Only when asked for explicitly.
    case anySignature = "any-signature"
}

/// Deployment settings the handlers need.
public struct Config: Sendable {
    public var dataDirectory: URL
    public var region: String
    /// Base of every token's `iss`; the pool id is appended. Never taken from the request.
    public var issuerBaseURL: String
    public var authMode: AuthMode
    /// Largest request body accepted, in bytes.
    public var maxBodyBytes: Int

    public init(
        dataDirectory: URL, region: String = "us-east-1", issuerBaseURL: String = "http://127.0.0.1:8080",
        authMode: AuthMode = .sigv4, maxBodyBytes: Int = 1 << 20
    ) {
        self.dataDirectory = dataDirectory
        self.region = region
        self.issuerBaseURL = issuerBaseURL
        self.authMode = authMode
        self.maxBodyBytes = maxBodyBytes
    }
}

/// Everything an operation may depend on. Built once per process; operations take what they need.
public struct Services: Sendable {
    public let config: Config
    public let store: Store
    public let clock: any Clock
    public let random: any RandomSource
    public let logger: Logger
    /// Delivers codes and invitations; runs only after the change that needs it is durable.
    public let sender: any Sender
    /// Argon2id; never called while a store lock is held.
    public let passwords: PasswordHasher
    /// Every pool's RSA signing keys, parsed once per process (`Tokens/PoolKeys.swift`).
    public let keys: PoolKeyCache
    /// Codes "sent" to unknown names under PreventUserExistenceErrors ENABLED, per process.
    public let unknownNames: UnknownNames

    public init(
        config: Config, store: Store, clock: any Clock = SystemClock(), random: any RandomSource = SystemRandom(),
        logger: Logger = Logger(label: "cognito-fcgi"), sender: (any Sender)? = nil,
        passwords: PasswordHasher = PasswordHasher.standard, keys: PoolKeyCache = PoolKeyCache(),
        unknownNames: UnknownNames = UnknownNames()
    ) {
        self.config = config
        self.store = store
        self.clock = clock
        self.random = random
        self.logger = logger
        self.sender = sender ?? OutboxSender(dataDirectory: store.root, clock: clock)
        self.passwords = passwords
        self.keys = keys
        self.unknownNames = unknownNames
    }
}
