import Foundation

/// Sets a new password with the code ForgotPassword or AdminResetUserPassword sent; the user becomes CONFIRMED.
struct ConfirmForgotPassword: Operation {
    static let name = "ConfirmForgotPassword"
    static let authorization = Authorization.public

    let services: Services

    init(_ services: Services) { self.services = services }

    func run(_ input: ConfirmForgotPasswordInput) throws -> ConfirmForgotPasswordOutput {
        let now = services.clock.now()
        // First, under the shared lock: every refusal that changes nothing, and a look at the code that does not use
        // it up, so that a request which cannot succeed costs no password hash. The password history is checked and
        // the password hashed outside any lock, and only for a right code: whether a password was the user's is for
        // the code's holder to learn. A password in the history is refused like a weak one: nothing is written and
        // the code stays usable.
        let history = try PublicClient.withClient(input.clientId, in: services.store, .shared) { tx, client in
            let (pool, user) = try locate(input, tx, client, now)
            var codes = user.codes
            return check(input, &codes, now) == .ok ? PasswordHistory(of: user, policy: policy(of: pool)) : nil
        }
        var ready = try history.map { try prepare(input, $0) }
        if case .needsHash(let stored) = try reset(input, ready, now: now) {
            // The code became right between the two looks (a new one was issued meanwhile), or the user's history
            // changed (another password was set): check and hash, then finish.
            ready = try prepare(input, stored, hash: ready?.hash)
            if case .needsHash = try reset(input, ready, now: now) { throw PasswordHistory.changedMeanwhile }
        }
        return ConfirmForgotPasswordOutput()
    }

    /// The new password's hash, and the history it was found in none of.
    private struct Ready {
        let history: PasswordHistory
        let hash: String
    }

    private enum Step {
        case done
        /// The code is right but the password was not checked against this history, or not hashed yet; nothing was
        /// written.
        case needsHash(PasswordHistory)
    }

    /// Under the user's lock (a `.oneUser` change: only their record is written), the checks again (the pool, the
    /// user or the code may have changed since the first look), then the code. A wrong code is written back with its
    /// attempt counted before the error is thrown.
    private func reset(_ input: ConfirmForgotPasswordInput, _ ready: Ready?, now: Date) throws -> Step {
        try PublicClient.withClient(input.clientId, in: services.store, .oneUser) { tx, client in
            let (pool, found) = try locate(input, tx, client, now)
            return try tx.withUserLock(of: found.username, in: pool) { tx in
                try reset(input, ready, now: now, tx, client)
            }
        }
    }

    private func reset(
        _ input: ConfirmForgotPasswordInput, _ ready: Ready?, now: Date, _ tx: PoolTransaction,
        _ client: UserPoolClientType
    ) throws -> Step {
        let (pool, user) = try locate(input, tx, client, now)
        // Under ENABLED, a user with no reset code pending answers as an unknown name does: "code expired" would tell
        // anyone who exists, in one request. (A FORCE_CHANGE_PASSWORD user's ForgotPassword was simulated too.)
        if client.effectivePreventUserExistenceErrors == .enabled && user.codes[CodePurpose.forgotPassword.key] == nil {
            try simulatedCheck(input, pool, tx, now).get()
        }
        var changed = user
        let outcome = check(input, &changed.codes, now)
        guard outcome == .ok else {
            if changed.codes != user.codes { try tx.saveUser(changed, previous: user, in: pool) }
            try outcome.get()
            return .done  // unreachable: every other outcome throws
        }
        let policy = policy(of: pool)
        let history = PasswordHistory(of: user, policy: policy)
        guard let ready, ready.history.covers(history) else { return .needsHash(history) }
        changed.setPassword(ready.hash, historySize: policy.passwordHistorySize)
        // The code proves control of a verified email or phone, which is also what confirming a sign-up proves:
        // an UNCONFIRMED user (one whose destination an administrator verified) is confirmed here too, and the
        // sign-up code that can no longer be used goes.
        if changed.status == .unconfirmed { changed.codes[CodePurpose.signUp.key] = nil }
        changed.status = .confirmed
        changed.temporaryPasswordExpires = nil
        changed.failedSignIns = 0
        changed.lockedUntil = nil
        changed.modified = now
        try tx.saveUser(changed, previous: user, in: pool)
        return .done
    }

    /// The client's SecretHash, the pool's password policy, then the user, so that a weak password is refused before
    /// the code is looked at (it does not use up an attempt) and the same way whether the user exists or not.
    /// Unknown and disabled users: `UserNotFoundException` under PreventUserExistenceErrors LEGACY; under ENABLED the
    /// answer a wrong code gets, as AWS gives it (AWS-NOTES).
    private func locate(
        _ input: ConfirmForgotPasswordInput, _ tx: PoolTransaction, _ client: UserPoolClientType, _ now: Date
    ) throws -> (UserPoolType, UserRecord) {
        try PublicClient.checkSecretHash(input.secretHash, username: input.username, client: client)
        let pool = try tx.pool()
        try policy(of: pool).validate(input.password, wording: .newPassword)
        guard let user = try tx.findUser(input.username, in: pool), user.enabled else {
            if client.effectivePreventUserExistenceErrors == .enabled {
                try simulatedCheck(input, pool, tx, now).get()
            }
            throw AWSError(.userNotFound, "Username/client id combination not found.")
        }
        return (pool, user)
    }

    /// What the code gets under ENABLED for a name with no real code: as a user with the same requests would get
    /// (`UnknownNames`; never a success).
    private func simulatedCheck(
        _ input: ConfirmForgotPasswordInput, _ pool: UserPoolType, _ tx: PoolTransaction, _ now: Date
    ) throws -> VerificationCode.Outcome {
        try services.unknownNames.checkCode(
            input.confirmationCode, .forgotPassword, for: input.username, in: pool, poolId: tx.poolId, now: now,
            services: services)
    }

    private func check(_ input: ConfirmForgotPasswordInput, _ codes: inout [String: JSON], _ now: Date)
        -> VerificationCode.Outcome
    {
        VerificationCode.check(
            input.confirmationCode, for: .forgotPassword, in: &codes, now: now, secret: services.store.secret)
    }

    /// `PasswordHistoryPolicyViolationException` when the password is in `history`, else the password hashed (or
    /// `hash`, made earlier for the same password).
    private func prepare(_ input: ConfirmForgotPasswordInput, _ history: PasswordHistory, hash: String? = nil)
        throws -> Ready
    {
        try history.check(input.password, with: services.passwords)
        let hash = try hash ?? services.passwords.hash(input.password, random: services.random)
        return Ready(history: history, hash: hash)
    }

    private func policy(of pool: UserPoolType) -> PasswordPolicy {
        PasswordPolicy(pool.policies?.passwordPolicy)
    }
}
