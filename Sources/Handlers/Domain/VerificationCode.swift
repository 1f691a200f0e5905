import Crypto
import Foundation

/// Why a code was issued. A user has at most one pending code per purpose (`UserRecord.codes` is keyed by
/// `key`), so issuing a new code for a purpose supersedes the previous one.
public enum CodePurpose: Hashable, Sendable {
    /// Confirming a sign-up (SignUp, ResendConfirmationCode).
    case signUp
    /// Resetting a password (ForgotPassword, AdminResetUserPassword → ConfirmForgotPassword).
    case forgotPassword
    /// Verifying one attribute, `email` or `phone_number` (GetUserAttributeVerificationCode,
    /// UpdateUserAttributes → VerifyUserAttribute).
    case attribute(String)

    /// The key in `UserRecord.codes`, and what the stored record names as its purpose.
    public var key: String {
        switch self {
        case .signUp: return "SignUp"
        case .forgotPassword: return "ForgotPassword"
        case .attribute(let name): return "Attribute:" + name
        }
    }

    public init?(key: String) {
        switch key {
        case "SignUp": self = .signUp
        case "ForgotPassword": self = .forgotPassword
        default:
            guard key.hasPrefix("Attribute:"), key.count > "Attribute:".count else { return nil }
            self = .attribute(String(key.dropFirst("Attribute:".count)))
        }
    }

    /// How long a code stays valid. AWS: "Confirmation and verification codes are valid for 24 hours. Forgot
    /// password codes are valid for 1 hour only" (Cognito team, amazon-cognito-identity-js#189); not configurable.
    public var lifetime: TimeInterval {
        switch self {
        case .signUp, .attribute: return 24 * 60 * 60
        case .forgotPassword: return 60 * 60
        }
    }
}

/// A pending verification code as it is stored in the user's record.
///
/// - The code itself is never stored: only `HMAC-SHA256(Store.secret, "code:" + purpose + NUL + salt + code)`
///   with a fresh 16-byte salt per code. A six-digit code has only 10^6 values, so a plain or salted hash would
///   be reversed in milliseconds by anyone holding a copy of the user's file; keyed by the deployment secret it
///   cannot be, unless `secret.key` leaked too. The purpose in the MAC binds the digest to its slot.
/// - Checks compare digests in constant time.
/// - A new code for the same purpose keeps the digests of up to `supersededKept` earlier codes, so that an old
///   code is answered `ExpiredCodeException` ("request a code again", as AWS answers superseded codes) rather
///   than `CodeMismatchException`. Only the latest code works.
/// - After `maxFailedAttempts` wrong codes the code is dead: every further check, even with the right code, is
///   `LimitExceededException` until a new code is issued. (AWS answers the first five wrong codes with
///   CodeMismatchException and the next try with LimitExceededException: amplify-ui-android#180.)
/// - Per user and purpose, at most `hourlyLimit` requests for a code and wrong codes together in any hour
///   (`recent`, carried from each code to the one that supersedes it): beyond it, a request for a new code and
///   every check are `LimitExceededException`. Without it, asking for a new code after every five wrong ones
///   would allow guessing without end (ForgotPassword → ConfirmForgotPassword takes over an account). AWS: "In a
///   given hour, we allow between 5 and 20 attempts for a user to request or enter a password reset code"
///   (Developer Guide, Recovering user accounts).
/// - Validity is `issuedAt ≤ now < expiresAt`: at `expiresAt` exactly the code has expired.
public struct VerificationCode: Sendable, Equatable {
    /// Digits in a code.
    public static let length = 6
    /// Wrong codes allowed before the code is invalidated.
    public static let maxFailedAttempts = 5
    /// Earlier codes remembered so that they answer "expired" rather than "mismatch".
    public static let supersededKept = 4
    /// Requests for a code and wrong codes allowed per user and purpose in any `limitWindow`.
    public static let hourlyLimit = 20
    public static let limitWindow: TimeInterval = 60 * 60

    public let purpose: CodePurpose
    public let issuedAt: Date
    public let expiresAt: Date
    /// Wrong codes tried so far; the caller persists it after `check`.
    public private(set) var attempts: Int
    let salt: [UInt8]
    let digest: [UInt8]
    /// Salts and digests of the codes this one replaced, newest first.
    let superseded: [Digest]
    /// When codes for this purpose were requested and wrong ones entered, oldest first: at most `hourlyLimit`, and
    /// only those of the last `limitWindow` count.
    public private(set) var recent: [Date]

    struct Digest: Sendable, Equatable {
        let salt: [UInt8]
        let digest: [UInt8]
    }

    /// The outcome of a check, and the AWS error each failure is answered with.
    public enum Outcome: Sendable, Equatable {
        case ok
        /// A wrong code: `CodeMismatchException`.
        case mismatch
        /// Expired, superseded, already used or never issued: `ExpiredCodeException`.
        case expired
        /// Too many wrong codes: `LimitExceededException`.
        case tooManyAttempts

        public var error: AWSError? {
            switch self {
            case .ok: return nil
            case .mismatch: return AWSError(.codeMismatch, "Invalid verification code provided, please try again.")
            case .expired: return AWSError(.expiredCode, "Invalid code provided, please request a code again.")
            case .tooManyAttempts: return VerificationCode.limitExceeded
            }
        }

        /// Throws the outcome's AWS error, if it has one.
        public func get() throws(AWSError) {
            if let error { throw error }
        }
    }

    // MARK: Issuing

    /// How a request for a code counts against the hourly limit.
    public enum Request: Sendable {
        /// The user asked, through an operation that answers LimitExceededException (ForgotPassword,
        /// ResendConfirmationCode, GetUserAttributeVerificationCode): counted, and refused once the hour is spent.
        case limited
        /// A change that sends a code and cannot be refused for it (SignUp, a new email or phone number through
        /// (Admin)UpdateUserAttributes): counted only.
        case counted
        /// An administrator's (AdminResetUserPassword): neither.
        case exempt
    }

    static let limitExceeded = AWSError(.limitExceeded, "Attempt limit exceeded, please try after some time.")

    /// A new random code for `purpose`, valid from `now` for `purpose.lifetime`. Returns the code (to send, never
    /// to store or log) and the record to store. `previous` is the code this one supersedes, if any; its `recent`
    /// carries over. Throws `LimitExceededException` for a `.limited` request beyond the hourly limit.
    public static func issue(
        _ purpose: CodePurpose, now: Date, random: any RandomSource, secret: [UInt8],
        replacing previous: VerificationCode? = nil, request: Request = .counted
    ) throws(AWSError) -> (code: String, record: VerificationCode) {
        var earlier: [Digest] = []
        var recent: [Date] = []
        if let previous, previous.purpose == purpose {
            earlier = [Digest(salt: previous.salt, digest: previous.digest)] + previous.superseded
            earlier = Array(earlier.prefix(supersededKept))
            recent = previous.recent(at: now)
        }
        if request == .limited && recent.count >= hourlyLimit { throw limitExceeded }
        if request != .exempt { recent = Self.adding(now, to: recent) }
        let code = random.string(length, alphabet: "0123456789")
        let salt = random.bytes(16)
        let record = VerificationCode(
            purpose: purpose, issuedAt: now, expiresAt: now.addingTimeInterval(purpose.lifetime), attempts: 0,
            salt: salt, digest: mac(code, purpose: purpose, salt: salt, secret: secret), superseded: earlier,
            recent: recent)
        return (code, record)
    }

    /// Issues a code for `purpose` into a user's `codes` (keyed by `CodePurpose.key`), superseding the pending
    /// one. Returns the code to send.
    public static func issue(
        _ purpose: CodePurpose, in codes: inout [String: JSON], now: Date, random: any RandomSource, secret: [UInt8],
        request: Request
    ) throws(AWSError) -> String {
        let previous = codes[purpose.key].flatMap { try? VerificationCode(json: $0) }
        let (code, record) = try issue(
            purpose, now: now, random: random, secret: secret, replacing: previous, request: request)
        codes[purpose.key] = record.toJSON()
        return code
    }

    /// The requests and wrong codes of the last `limitWindow` before `now`.
    func recent(at now: Date) -> [Date] {
        recent.filter { $0 <= now && now.timeIntervalSince($0) < Self.limitWindow }
    }

    /// `recent` with `now`, keeping the newest `hourlyLimit` (more could never matter).
    private static func adding(_ now: Date, to recent: [Date]) -> [Date] {
        Array((recent + [now]).suffix(hourlyLimit))
    }

    // MARK: Checking

    /// Checks `code` against this record at `now`. A wrong code counts an attempt: persist the record afterwards
    /// (and remove it after `.ok`, so a used code cannot be used again).
    public mutating func check(_ code: String, now: Date, secret: [UInt8]) -> Outcome {
        if now >= expiresAt { return .expired }
        if attempts >= Self.maxFailedAttempts || recent(at: now).count >= Self.hourlyLimit { return .tooManyAttempts }
        let matchesCurrent = constantTimeEquals(Self.mac(code, purpose: purpose, salt: salt, secret: secret), digest)
        // Every earlier digest is computed whatever the outcome, so timing says nothing about which one matched.
        var matchesEarlier = false
        for old in superseded {
            let candidate = Self.mac(code, purpose: purpose, salt: old.salt, secret: secret)
            if constantTimeEquals(candidate, old.digest) { matchesEarlier = true }
        }
        if matchesCurrent { return .ok }
        attempts += 1
        recent = Self.adding(now, to: recent(at: now))
        return matchesEarlier ? .expired : .mismatch
    }

    /// Checks `code` for `purpose` against a user's `codes`: a missing (never issued or already used) or
    /// unreadable code is `.expired`; `.ok` removes the code (it is used); a wrong code counts an attempt.
    /// The caller persists `codes` whatever the outcome, then throws `outcome.error`.
    public static func check(
        _ code: String, for purpose: CodePurpose, in codes: inout [String: JSON], now: Date, secret: [UInt8]
    ) -> Outcome {
        guard let stored = codes[purpose.key], var record = try? VerificationCode(json: stored),
            record.purpose == purpose
        else { return .expired }
        let outcome = record.check(code, now: now, secret: secret)
        switch outcome {
        case .ok: codes[purpose.key] = nil
        case .mismatch, .expired, .tooManyAttempts: codes[purpose.key] = record.toJSON()
        }
        return outcome
    }

    static func mac(_ code: String, purpose: CodePurpose, salt: [UInt8], secret: [UInt8]) -> [UInt8] {
        var hmac = HMAC<SHA256>(key: SymmetricKey(data: secret))
        hmac.update(data: Array("code:\(purpose.key)\u{0}".utf8))
        hmac.update(data: salt)
        hmac.update(data: Array(code.utf8))
        return Array(hmac.finalize())
    }
}

// MARK: - JSON

extension VerificationCode {
    /// `{"Purpose", "IssuedAt", "ExpiresAt" (epoch seconds), "Attempts", "Salt", "Digest" (base64url),
    /// "Superseded": [{"Salt", "Digest"}], "Recent": [epoch seconds]}`. A record that does not parse is an internal
    /// error; one written before `Recent` existed has none.
    public init(json: JSON) throws(AWSError) {
        guard case .object(let o) = json,
            let purpose = o["Purpose"]?.stringValue.flatMap(CodePurpose.init(key:)),
            let issuedAt = Self.date(o["IssuedAt"]), let expiresAt = Self.date(o["ExpiresAt"]),
            case .int(let attempts) = o["Attempts"] ?? .int(0),
            let salt = o["Salt"]?.stringValue.flatMap(Base64URL.decode),
            let digest = o["Digest"]?.stringValue.flatMap(Base64URL.decode)
        else { throw AWSError.internalError }
        var superseded: [Digest] = []
        for item in o["Superseded"]?.arrayValue ?? [] {
            guard let s = item["Salt"]?.stringValue.flatMap(Base64URL.decode),
                let d = item["Digest"]?.stringValue.flatMap(Base64URL.decode)
            else { throw AWSError.internalError }
            superseded.append(Digest(salt: s, digest: d))
        }
        var recent: [Date] = []
        for item in o["Recent"]?.arrayValue ?? [] {
            guard let date = Self.date(item) else { throw AWSError.internalError }
            recent.append(date)
        }
        self.init(
            purpose: purpose, issuedAt: issuedAt, expiresAt: expiresAt, attempts: attempts, salt: salt,
            digest: digest, superseded: superseded, recent: recent)
    }

    public func toJSON() -> JSON {
        var o: [String: JSON] = [
            "Purpose": .string(purpose.key),
            "IssuedAt": Self.json(issuedAt),
            "ExpiresAt": Self.json(expiresAt),
            "Attempts": .int(attempts),
            "Salt": .string(Base64URL.encode(salt)),
            "Digest": .string(Base64URL.encode(digest)),
        ]
        if !superseded.isEmpty {
            o["Superseded"] = .array(
                superseded.map {
                    .object([
                        "Salt": .string(Base64URL.encode($0.salt)), "Digest": .string(Base64URL.encode($0.digest)),
                    ])
                })
        }
        if !recent.isEmpty { o["Recent"] = .array(recent.map(Self.json)) }
        return .object(o)
    }

    private static func date(_ json: JSON?) -> Date? {
        switch json {
        case .int(let n): return Date(timeIntervalSince1970: TimeInterval(n))
        case .double(let d): return Date(timeIntervalSince1970: d)
        default: return nil
        }
    }

    private static func json(_ date: Date) -> JSON {
        let t = date.timeIntervalSince1970
        return t == t.rounded() && abs(t) < 9e15 ? .int(Int(t)) : .double(t)
    }
}
