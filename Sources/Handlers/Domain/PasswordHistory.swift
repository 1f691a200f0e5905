/// A pool's `PasswordHistorySize` (n), enforced: a new password may not match any of the user's last n passwords,
/// the current one included (AWS: "Users can't set a password that matches any of n previous passwords"). 0, or no
/// value, turns the check off.
///
/// Checked wherever a password becomes the user's: ConfirmForgotPassword, ChangePassword, AdminSetUserPassword
/// (permanent or temporary) and the NEW_PASSWORD_REQUIRED answer of (Admin)RespondToAuthChallenge. SignUp and
/// AdminCreateUser have no earlier password to compare with; their first one is the user's current hash.
///
/// How the operations use it:
/// 1. After the policy check (`InvalidPasswordException` comes first) and after whatever proves the caller may set
///    the password (the previous password, the code, the session): the answer tells whether a password was the
///    user's, which only someone entitled to change it may learn.
/// 2. `check` verifies the new password against each hash: one Argon2id verification per hash, so it runs outside
///    every store lock, on the hashes read under a shared lock.
/// 3. Under the writing lock the user is read again, and `covers` says whether the hashes checked still include
///    every hash the stored record asks for (another password may have been set meanwhile, or n raised). If not,
///    nothing is written and the operation checks again once; a second change meanwhile is `changedMeanwhile`.
/// 4. `UserRecord.setPassword` records the new hash and trims the earlier ones to n.
///
/// Only the stored Argon2id PHC strings are kept (`UserRecord.previousPasswordHashes`), each with its own salt and
/// parameters; no password, and no weaker digest of one, is ever stored for this.
public struct PasswordHistory: Sendable, Equatable {
    /// The largest PasswordHistorySize a pool may have (`PasswordHistorySizeType`'s maximum).
    public static let maximumSize = 24

    /// The pool's n, clamped to 0...24.
    public let size: Int
    /// The user's last `size` password hashes, newest (the current one) first: what a new password must not match.
    public let hashes: [String]

    /// `user`'s history as `policy` asks for it.
    public init(of user: UserRecord, policy: PasswordPolicy) {
        size = min(max(policy.passwordHistorySize, 0), Self.maximumSize)
        let all = (user.passwordHash.map { [$0] } ?? []) + user.previousPasswordHashes
        hashes = Array(all.prefix(size))
    }

    /// The refusal of a password that is in the history, the same from every operation.
    public static func violation(size: Int) -> AWSError {
        AWSError(
            .passwordHistoryPolicyViolation,
            "The password you entered was used recently. Choose a password you have not used in your last \(size) "
                + (size == 1 ? "password." : "passwords."))
    }

    /// The user's password changed twice while a request that sets it was being checked: nothing was written, and
    /// the client may simply try again (AWS SDKs retry this error by themselves).
    public static let changedMeanwhile = AWSError(
        .tooManyRequests, "The user's password changed while this request was processed; try again.")

    /// Throws `PasswordHistoryPolicyViolationException` when `password` matches any of `hashes`. One Argon2id
    /// verification per hash (the hasher's constant-time comparison): never call this while holding a store lock.
    public func check(_ password: String, with passwords: PasswordHasher) throws(AWSError) {
        for hash in hashes where passwords.verify(password, against: hash) {
            throw Self.violation(size: size)
        }
    }

    /// Whether a password checked against these hashes may be stored for a user whose history is now `current`:
    /// every hash `current` asks for was among those checked. A smaller n or an unchanged record passes; a password
    /// set meanwhile, or a larger n, does not.
    public func covers(_ current: PasswordHistory) -> Bool {
        Set(current.hashes).isSubset(of: hashes)
    }
}
