import Foundation

/// Changes the signed-in user's password: the previous one proves who they are, the new one meets the pool's policy.
struct ChangePassword: Operation {
    // - The access token goes through `TokenCheck`: before the slow work, and again under the user's lock.
    // - The proposed password is checked against the policy first ("Password does not conform to policy: ..."), so
    //   a request that cannot succeed costs no hash.
    // - PreviousPassword counts toward the sign-in lockout (`SignIn.Lockout`): a wrong one is NotAuthorizedException
    //   "Incorrect username or password." and one more failure; while the user is locked the answer is the same as
    //   sign-in's, NotAuthorizedException "Password attempts exceeded", with the password left unchecked. (The
    //   project's hardening issue asks for one lockout across every password flow. Real AWS has been reported to
    //   answer ChangePassword with LimitExceededException "Attempt limit exceeded, please try after some time."
    //   instead — aws-amplify/aws-sdk-android#627 — an SDK maintainer's remark, not documentation.)
    // - With the previous password proven, the proposed one must not be among the user's last PasswordHistorySize
    //   passwords, the current one included (`PasswordHistory`): PasswordHistoryPolicyViolationException, and nothing
    //   is recorded, not even the correct previous password. A wrong previous password never reaches this check.
    // - Verifying the previous password, checking the history and hashing the new one run outside any lock. Under the
    //   user's lock the stored hash must still be the one verified and the history still covered by the one
    //   checked; if either changed meanwhile (a sign-in's rehash, an administrator's new password, a larger history
    //   size) nothing is recorded and the check starts over once.
    // - PreviousPassword may be left out only by a user who has no password (AWS: "If the user has no password and
    //   only signs in with passwordless authentication options, you can omit this parameter").
    // - Tokens stay valid: AWS does not sign the user out on a password change.
    // - A user whose password an administrator reset (RESET_REQUIRED) is refused with PasswordResetRequiredException
    //   by the token check, as every access-token operation is (`VerifiedToken.confirm`): AdminResetUserPassword
    //   "deactivates a user's password, requiring them to change it" by the forgot-password flow, so the old password
    //   proves nothing any more. Checked before the slow work and again under the user's lock; nothing is written.
    static let name = "ChangePassword"
    static let authorization = Authorization.public

    static let locked = SignIn.attemptsExceeded

    let services: Services

    init(_ services: Services) { self.services = services }

    func run(_ input: ChangePasswordInput) throws -> ChangePasswordOutput {
        try change(input, retry: true)
        return ChangePasswordOutput()
    }

    private func change(_ input: ChangePasswordInput, retry: Bool) throws {
        let now = services.clock.now()
        let verified = try TokenCheck.verify(input.accessToken, services)
        let access = try TokenCheck.withPool(verified.poolId, services, .shared) { tx in try verified.confirm(in: tx) }
        let policy = policy(access)
        try policy.validate(input.proposedPassword, wording: .newPassword)
        if SignIn.Lockout.isLocked(access.user, now: now) { throw Self.locked }
        let stored = access.user.passwordHash
        let correct: Bool
        switch (stored, input.previousPassword) {
        case (nil, _):
            correct = true
        case (.some, nil):
            throw AWSError.invalidParameter("PreviousPassword is required: the user has a password.")
        case (let stored?, let previous?):
            correct = services.passwords.verify(previous, against: stored)
        }
        let history = PasswordHistory(of: access.user, policy: policy)
        if correct { try history.check(input.proposedPassword, with: services.passwords) }
        let hash = correct ? try services.passwords.hash(input.proposedPassword, random: services.random) : nil

        // Only the user's record is written: a change under the user's lock, the token confirmed again there.
        let outcome = try TokenCheck.changeUser(verified, services) { access, tx -> Outcome in
            let current = access.user
            guard current.passwordHash == stored else { return retry ? .again : .refused(SignIn.incorrect) }
            guard !SignIn.Lockout.isLocked(current, now: now) else { return .refused(Self.locked) }
            let policy = self.policy(access)
            try policy.validate(input.proposedPassword, wording: .newPassword)
            if hash != nil && !history.covers(PasswordHistory(of: current, policy: policy)) {
                return retry ? .again : .refused(PasswordHistory.changedMeanwhile)
            }
            var changed = current
            SignIn.Lockout.record(correct, on: &changed, now: now)
            if let hash {
                changed.setPassword(hash, historySize: policy.passwordHistorySize)
                changed.modified = now
            }
            if changed != current { try tx.saveUser(changed, previous: current, in: access.pool) }
            return correct ? .done : .refused(SignIn.incorrect)
        }
        switch outcome {
        case .done: return
        case .again: try change(input, retry: false)
        case .refused(let error): throw error
        }
    }

    /// What the section under the user's lock decided.
    private enum Outcome {
        case done
        /// The stored hash, or the history, changed since it was verified: check again against the new one.
        case again
        case refused(AWSError)
    }

    private func policy(_ access: AuthorizedAccess) -> PasswordPolicy {
        PasswordPolicy(access.pool.policies?.passwordPolicy)
    }
}
