import Crypto
import Foundation

/// What names that are no user's go through, under PreventUserExistenceErrors ENABLED, so that they are answered
/// exactly as a user is, step by step, and no limit tells who exists:
/// - codes "sent" to them (ForgotPassword and ResendConfirmationCode answer with a simulated delivery): the same
///   hourly limit, the same five wrong codes, the same lifetime, else `LimitExceededException` would tell (a real
///   `VerificationCode` record of a code nobody is sent);
/// - wrong passwords: the same lockout ("Password attempts exceeded" from the sixth try, for a second, doubling),
///   which a user would get and an unknown name would not;
/// - the time an answer takes: where a user's record would be written (a code issued, a wrong code or password
///   counted), the same durable write is made in the users' folder, of a file removed again
///   (`Store.writeDecoyUser`; a simulated delivery does `Sender.rehearse`). Without them an unknown name was
///   answered ~1.1 ms sooner than a user by ForgotPassword (release build, loopback): one request told who exists.
///
/// Kept in this process's memory only (at most `capacity` of each, keyed by an HMAC of pool, purpose and folded name,
/// so the memory holds no names). With several worker processes each counts its own: an unknown name then reaches a
/// limit later than a user would, by as many times as there are processes.
public final class UnknownNames: @unchecked Sendable {
    // @unchecked: both maps are BoundedMaps, locked inside.
    private let codes: BoundedMap<String, VerificationCode>
    private let lockouts: BoundedMap<String, Lockout>

    struct Lockout: SignIn.Lockout.State {
        var failedSignIns = 0
        var lockedUntil: Date?
    }

    public init(capacity: Int = 10_000) {
        codes = BoundedMap(capacity: capacity)
        lockouts = BoundedMap(capacity: capacity)
    }

    /// A request for a code for `name`: `LimitExceededException` where a user would get it.
    func requestCode(
        _ purpose: CodePurpose, for name: String, in pool: UserPoolType, poolId: String, now: Date, services: Services
    ) throws {
        let key = Self.key(purpose.key, name, pool: pool, poolId: poolId, secret: services.store.secret)
        try codes.update(key) { (record) throws(AWSError) in
            record = try VerificationCode.issue(
                purpose, now: now, random: services.random, secret: services.store.secret, replacing: record,
                request: .limited
            ).record
        }
        try services.store.writeDecoyUser(poolId: poolId)
    }

    /// A code entered for `name`: what a user with the same history of requests would be answered (a wrong code
    /// when none was requested). Never `.ok`: a code nobody was sent cannot be right.
    func checkCode(
        _ code: String, _ purpose: CodePurpose, for name: String, in pool: UserPoolType, poolId: String, now: Date,
        services: Services
    ) throws -> VerificationCode.Outcome {
        let key = Self.key(purpose.key, name, pool: pool, poolId: poolId, secret: services.store.secret)
        let (outcome, changed) = codes.update(key) { record -> (VerificationCode.Outcome, Bool) in
            guard var stored = record else { return (.mismatch, false) }
            let outcome = stored.check(code, now: now, secret: services.store.secret)
            let changed = stored != record
            record = stored
            return (outcome == .ok ? .mismatch : outcome, changed)
        }
        // A user's record is written back when the check changed their code (an attempt counted).
        if changed { try services.store.writeDecoyUser(poolId: poolId) }
        return outcome
    }

    /// A password tried for `name`, always wrong: "Password attempts exceeded" while a user with the same failures
    /// would be locked (checked before any hash, as for a user); else the failure is counted and the caller spends
    /// the hash and answers "Incorrect username or password.".
    func signInFailure(for name: String, in pool: UserPoolType, poolId: String, now: Date, services: Services)
        throws
    {
        let key = Self.key("SignIn", name, pool: pool, poolId: poolId, secret: services.store.secret)
        let locked = lockouts.update(key) { entry -> Bool in
            var lockout = entry ?? Lockout()
            if SignIn.Lockout.isLocked(lockout, now: now) { return true }
            SignIn.Lockout.record(false, on: &lockout, now: now)
            entry = lockout
            return false
        }
        if locked { throw SignIn.attemptsExceeded }
        try services.store.writeDecoyUser(poolId: poolId)
    }

    private static func key(_ purpose: String, _ name: String, pool: UserPoolType, poolId: String, secret: [UInt8])
        -> String
    {
        var hmac = HMAC<SHA256>(key: SymmetricKey(data: secret))
        hmac.update(data: Array("unknown name:\(poolId)\u{0}\(purpose)\u{0}".utf8))
        hmac.update(data: Array(UserKey.username(name, in: pool).utf8))
        return Hex.encode(hmac.finalize())
    }
}
