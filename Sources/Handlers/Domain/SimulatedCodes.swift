import Crypto
import Foundation

/// Codes "sent" to names that are no user's, under PreventUserExistenceErrors ENABLED (ForgotPassword and
/// ResendConfirmationCode answer them with a simulated delivery), so that asking for codes and entering them again
/// and again answers an unknown name exactly as it answers a user: the same hourly limit, the same five wrong codes,
/// the same lifetime. Without it, `LimitExceededException` (VerificationCode's hourly limit) would tell who exists.
///
/// Each is a real `VerificationCode` record of a code nobody is sent, kept in this process's memory only (at most
/// `capacity`, keyed by an HMAC of pool, purpose and folded name, so the memory holds no names). With several worker
/// processes each counts its own requests: an unknown name then reaches the limit later than a user would, by as
/// many times as there are processes.
public final class SimulatedCodes: @unchecked Sendable {
    // @unchecked: `records` is a BoundedMap, locked inside.
    private let records: BoundedMap<String, VerificationCode>

    public init(capacity: Int = 10_000) {
        records = BoundedMap(capacity: capacity)
    }

    /// A request for a code for `name`, which names no user: `LimitExceededException` where a user would get it.
    func request(
        _ purpose: CodePurpose, for name: String, in pool: UserPoolType, poolId: String, now: Date, services: Services
    ) throws(AWSError) {
        let key = Self.key(purpose, name, pool: pool, poolId: poolId, secret: services.store.secret)
        do {
            try records.update(key) { record in
                record = try VerificationCode.issue(
                    purpose, now: now, random: services.random, secret: services.store.secret, replacing: record,
                    request: .limited
                ).record
            }
        } catch let error as AWSError {
            throw error
        } catch {
            throw AWSError.internalError
        }
    }

    /// A code entered for `name`, which names no user: what a user with the same history of requests would be
    /// answered (a wrong code when none was requested). Never `.ok`: a code nobody was sent cannot be right.
    func check(
        _ code: String, _ purpose: CodePurpose, for name: String, in pool: UserPoolType, poolId: String, now: Date,
        services: Services
    ) -> VerificationCode.Outcome {
        let key = Self.key(purpose, name, pool: pool, poolId: poolId, secret: services.store.secret)
        return records.update(key) { record in
            guard var stored = record else { return .mismatch }
            let outcome = stored.check(code, now: now, secret: services.store.secret)
            record = stored
            return outcome == .ok ? .mismatch : outcome
        }
    }

    private static func key(
        _ purpose: CodePurpose, _ name: String, pool: UserPoolType, poolId: String, secret: [UInt8]
    ) -> String {
        var hmac = HMAC<SHA256>(key: SymmetricKey(data: secret))
        hmac.update(data: Array("simulated code:\(poolId)\u{0}\(purpose.key)\u{0}".utf8))
        hmac.update(data: Array(UserKey.username(name, in: pool).utf8))
        return Hex.encode(hmac.finalize())
    }
}
