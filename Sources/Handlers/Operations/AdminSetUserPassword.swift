/// Sets a user's password: permanent (status CONFIRMED) or temporary (FORCE_CHANGE_PASSWORD until changed).
struct AdminSetUserPassword: Operation {
    static let name = "AdminSetUserPassword"
    static let authorization = Authorization.iam

    let services: Services

    init(_ services: Services) { self.services = services }

    func run(_ input: AdminSetUserPasswordInput) throws -> AdminSetUserPasswordOutput {
        let store = services.store
        // The user and the policy are checked before hashing, so a request that fails costs no hash; hashing runs
        // outside any lock, and the policy is checked again under the lock in case the pool changed meanwhile.
        try store.withPool(input.userPoolId, .shared) { tx in
            let pool = try tx.pool()
            _ = try tx.existingUser(input.username, in: pool)
            try policy(of: pool).validate(input.password, wording: .newPassword)
        }
        let hash = try services.passwords.hash(input.password, random: services.random)
        let now = services.clock.now()
        try store.changeUser(input.userPoolId, input.username) { user, pool in
            let policy = policy(of: pool)
            try policy.validate(input.password, wording: .newPassword)
            user.passwordHash = hash
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
        }
        return AdminSetUserPasswordOutput()
    }

    private func policy(of pool: UserPoolType) -> PasswordPolicy {
        PasswordPolicy(pool.policies?.passwordPolicy)
    }
}
