/// Sets a user's password: permanent (status CONFIRMED) or temporary (FORCE_CHANGE_PASSWORD until changed).
struct AdminSetUserPassword: Operation {
    static let name = "AdminSetUserPassword"
    static let authorization = Authorization.iam

    let services: Services

    init(_ services: Services) { self.services = services }

    func run(_ input: AdminSetUserPasswordInput) throws -> AdminSetUserPasswordOutput {
        // The user, the policy and the password history (PasswordHistoryPolicyViolationException, as for the user's
        // own changes: AWS lists it for this operation too) are checked before hashing, so a request that fails costs
        // no hash; the history check and hashing run outside any lock. Under the lock the policy is checked again in
        // case the pool changed meanwhile, and the history must still be covered by the one checked; if another
        // password was set meanwhile, nothing is written and the history is checked once more.
        let history = try services.store.withPool(input.userPoolId, .shared) { tx in
            let pool = try tx.pool()
            let user = try tx.existingUser(input.username, in: pool)
            let policy = policy(of: pool)
            try policy.validate(input.password, wording: .newPassword)
            return PasswordHistory(of: user, policy: policy)
        }
        try history.check(input.password, with: services.passwords)
        let hash = try services.passwords.hash(input.password, random: services.random)
        if let stored = try set(input, hash: hash, checked: history) {
            try stored.check(input.password, with: services.passwords)
            if try set(input, hash: hash, checked: stored) != nil { throw PasswordHistory.changedMeanwhile }
        }
        return AdminSetUserPasswordOutput()
    }

    /// Stores `hash` as the user's password, unless the stored history is no longer covered by `checked`: then
    /// nothing is written and the stored history is returned, to be checked.
    private func set(_ input: AdminSetUserPasswordInput, hash: String, checked: PasswordHistory) throws
        -> PasswordHistory?
    {
        let now = services.clock.now()
        return try services.store.changeUser(input.userPoolId, input.username) { user, pool -> PasswordHistory? in
            let policy = policy(of: pool)
            try policy.validate(input.password, wording: .newPassword)
            let stored = PasswordHistory(of: user, policy: policy)
            guard checked.covers(stored) else { return stored }
            user.setPassword(hash, historySize: policy.passwordHistorySize)
            if input.permanent == true {
                user.status = .confirmed
                user.temporaryPasswordExpires = nil
            } else {
                user.status = .forceChangePassword
                user.temporaryPasswordExpires = now.addingTimeInterval(
                    Double(policy.temporaryPasswordValidityDays) * 86_400)
            }
            // A new password starts a clean slate for the lockout counter.
            user.failedSignIns = 0
            user.lockedUntil = nil
            user.modified = now
            return nil
        }
    }

    private func policy(of pool: UserPoolType) -> PasswordPolicy {
        PasswordPolicy(pool.policies?.passwordPolicy)
    }
}
