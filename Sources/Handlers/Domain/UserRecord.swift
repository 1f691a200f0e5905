import Foundation

/// One user as the store keeps it: `pools/<poolId>/users/<key>.json`, where the key is the username as
/// `UsernameKey` folds it. Everything that must change together with the user (password, pending codes,
/// sign-in counters, refresh tokens) lives in this one file, so each change is one atomic write and deleting
/// the user takes all of it at once.
public struct UserRecord: Sendable, Equatable {
    /// The username as it was created (case preserved); with email/phone as username, a generated UUID.
    public var username: String
    public var sub: String
    /// Every attribute, `sub` and the `*_verified` flags included, as AWS strings.
    public var attributes: [String: String]
    public var status: UserStatusType
    public var enabled: Bool
    public var created: Date
    public var modified: Date
    /// The Argon2id PHC string, or nil when the user has no password (never for users created so far).
    public var passwordHash: String?
    /// The PHC hashes of the passwords before the current one, newest first, as many as the pool's
    /// PasswordHistorySize needs besides `passwordHash` (at most 23: `PasswordHistory`). Only ever Argon2id hashes as
    /// they were stored. The current password is not repeated here, so a sign-in's rehash replaces its only copy.
    public var previousPasswordHashes: [String]
    /// When a temporary password (AdminCreateUser) stops working.
    public var temporaryPasswordExpires: Date?
    /// Pending codes by purpose (`CodePurpose.key`), each a `VerificationCode` as JSON.
    public var codes: [String: JSON]
    /// Consecutive failed password attempts and the lockout they caused (every worker sees them).
    public var failedSignIns: Int
    public var lockedUntil: Date?
    /// Tokens issued before this instant are refused (GlobalSignOut, AdminUserGlobalSignOut).
    public var signedOutAt: Date?
    /// Refresh tokens, stored only as hashes, each with its client, expiry and origin (`RefreshTokenRecord`).
    public var refreshTokens: [JSON]
    /// New values of verifiable attributes waiting for verification (AttributesRequireVerificationBeforeUpdate).
    public var pendingAttributes: [String: String]

    public init(username: String, sub: String, attributes: [String: String], status: UserStatusType, now: Date) {
        self.username = username
        self.sub = sub
        var attributes = attributes
        attributes["sub"] = sub
        self.attributes = attributes
        self.status = status
        self.enabled = true
        self.created = now
        self.modified = now
        self.passwordHash = nil
        self.previousPasswordHashes = []
        self.temporaryPasswordExpires = nil
        self.codes = [:]
        self.failedSignIns = 0
        self.lockedUntil = nil
        self.signedOutAt = nil
        self.refreshTokens = []
        self.pendingAttributes = [:]
    }

    // MARK: Derived views

    public var email: String? { attributes["email"] }
    public var phoneNumber: String? { attributes["phone_number"] }
    public var emailVerified: Bool { attributes["email_verified"] == "true" }
    public var phoneNumberVerified: Bool { attributes["phone_number_verified"] == "true" }

    /// Attributes as AWS lists them (sorted by name, `sub` first as AWS shows it).
    public func attributeList(only names: Set<String>? = nil) -> [AttributeType] {
        attributes.keys
            .filter { name in names.map { $0.contains(name) } ?? true }
            .sorted { a, b in a == "sub" ? b != "sub" : (b == "sub" ? false : a < b) }
            .map { AttributeType(name: $0, value: attributes[$0]) }
    }

    /// The `UserType` ListUsers and AdminCreateUser answer with.
    public func userType(attributesToGet: [String]? = nil) -> UserType {
        UserType(
            username: username,
            attributes: attributeList(only: attributesToGet.map(Set.init)),
            userCreateDate: created,
            userLastModifiedDate: modified,
            enabled: enabled,
            userStatus: status)
    }
}

// MARK: - Password

extension UserRecord {
    /// Makes `hash` the user's password. The hash it replaces moves to the front of `previousPasswordHashes`, which is
    /// trimmed to what a history of `historySize` passwords needs besides the current one (nothing when it is 0 or
    /// 1), so the list follows the pool's PasswordHistorySize down as well as up and never outgrows 23.
    public mutating func setPassword(_ hash: String, historySize: Int) {
        let kept = min(max(historySize, 1), PasswordHistory.maximumSize) - 1
        let previous = (passwordHash.map { [$0] } ?? []) + previousPasswordHashes
        previousPasswordHashes = Array(previous.prefix(kept))
        passwordHash = hash
    }
}

// MARK: - Recovery

extension UserRecord {
    /// Where a password-reset code goes (AdminResetUserPassword, ForgotPassword): the first verified destination in
    /// the pool's AccountRecoverySetting by priority; without that setting, AWS's legacy order — a verified phone
    /// number, else a verified email. Nil when there is none (or recovery is `admin_only`).
    public func recoveryDestination(in pool: UserPoolType)
        -> (medium: DeliveryMediumType, attribute: String, value: String)?
    {
        let order: [RecoveryOptionNameType] =
            pool.accountRecoverySetting?.recoveryMechanisms.map { options in
                options.sorted { $0.priority < $1.priority }.map(\.name)
            } ?? [.verifiedPhoneNumber, .verifiedEmail]
        for option in order {
            switch option {
            case .verifiedPhoneNumber:
                if phoneNumberVerified, let phoneNumber { return (.sms, "phone_number", phoneNumber) }
            case .verifiedEmail:
                if emailVerified, let email { return (.email, "email", email) }
            case .adminOnly:
                return nil
            }
        }
        return nil
    }
}

// MARK: - JSON

extension UserRecord {
    public init(json: JSON) throws {
        guard case .object(let o) = json,
            let username = o["Username"]?.stringValue,
            let sub = o["Sub"]?.stringValue,
            let statusText = o["Status"]?.stringValue,
            let status = UserStatusType(rawValue: statusText)
        else { throw RecordError.malformed("user") }
        self.username = username
        self.sub = sub
        self.status = status
        attributes = (o["Attributes"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
        enabled = o["Enabled"]?.boolValue ?? true
        created = o["Created"]?.dateValue ?? Date(timeIntervalSince1970: 0)
        modified = o["Modified"]?.dateValue ?? created
        passwordHash = o["PasswordHash"]?.stringValue
        // Absent in records written before password history was kept: only the current hash is known.
        previousPasswordHashes = Array(
            (o["PreviousPasswordHashes"]?.arrayValue ?? []).compactMap(\.stringValue)
                .prefix(PasswordHistory.maximumSize - 1))
        temporaryPasswordExpires = o["TemporaryPasswordExpires"]?.dateValue
        codes = o["Codes"]?.objectValue ?? [:]
        failedSignIns = o["FailedSignIns"]?.intValue ?? 0
        lockedUntil = o["LockedUntil"]?.dateValue
        signedOutAt = o["SignedOutAt"]?.dateValue
        refreshTokens = o["RefreshTokens"]?.arrayValue ?? []
        pendingAttributes = (o["PendingAttributes"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
    }

    public func toJSON() -> JSON {
        var o: [String: JSON] = [
            "Username": .string(username),
            "Sub": .string(sub),
            "Attributes": .object(attributes.mapValues { .string($0) }),
            "Status": .string(status.rawValue),
            "Enabled": .bool(enabled),
            "Created": .date(created),
            "Modified": .date(modified),
            "FailedSignIns": .int(failedSignIns),
        ]
        if let passwordHash { o["PasswordHash"] = .string(passwordHash) }
        if !previousPasswordHashes.isEmpty {
            o["PreviousPasswordHashes"] = .array(previousPasswordHashes.map(JSON.string))
        }
        if let temporaryPasswordExpires { o["TemporaryPasswordExpires"] = .date(temporaryPasswordExpires) }
        if !codes.isEmpty { o["Codes"] = .object(codes) }
        if let lockedUntil { o["LockedUntil"] = .date(lockedUntil) }
        if let signedOutAt { o["SignedOutAt"] = .date(signedOutAt) }
        if !refreshTokens.isEmpty { o["RefreshTokens"] = .array(refreshTokens) }
        if !pendingAttributes.isEmpty { o["PendingAttributes"] = .object(pendingAttributes.mapValues { .string($0) }) }
        return .object(o)
    }
}

/// A stored record that does not parse: a bug or a damaged file, answered as an internal error.
public enum RecordError: Error, CustomStringConvertible {
    case malformed(String)
    public var description: String {
        switch self {
        case .malformed(let what): return "malformed \(what) record"
        }
    }
}

extension JSON {
    public var intValue: Int? {
        switch self {
        case .int(let n): return n
        case .double(let d) where d == d.rounded() && abs(d) < 9e15: return Int(d)
        default: return nil
        }
    }

    public var doubleValue: Double? {
        switch self {
        case .int(let n): return Double(n)
        case .double(let d): return d
        default: return nil
        }
    }

    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// Dates are stored as epoch seconds, as the JSON 1.1 protocol sends them.
    /// Seconds since 1970 within years 0 ... 9999; beyond them a stored date is damaged (nil), and turning it into an
    /// `Int` anywhere would trap.
    public var dateValue: Date? {
        guard let t = doubleValue, abs(t) <= 253_402_300_799 else { return nil }
        return Date(timeIntervalSince1970: t)
    }

    public static func date(_ d: Date) -> JSON {
        let t = d.timeIntervalSince1970
        return t == t.rounded() && abs(t) < 9e15 ? .int(Int(t)) : .double(t)
    }
}
