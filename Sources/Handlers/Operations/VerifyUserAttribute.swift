/// Checks the code sent for the signed-in user's email or phone number and marks the attribute verified.
struct VerifyUserAttribute: Operation {
    static let name = "VerifyUserAttribute"
    static let authorization = Authorization.public

    let services: Services

    init(_ services: Services) { self.services = services }

    func run(_ input: VerifyUserAttributeInput) throws -> VerifyUserAttributeOutput {
        let now = services.clock.now()
        let name = input.attributeName
        let verified = try TokenCheck.verify(input.accessToken, services)
        // A change under the user's lock; a verified value that becomes a sign-in alias needs its index entry
        // written, so that change runs again under the pool's LOCK_EX.
        try TokenCheck.changeUser(verified, services) { access, tx in
            _ = try GetUserAttributeVerificationCode.verifiable(name)
            let user = access.user
            guard GetUserAttributeVerificationCode.valueToVerify(name, of: user) != nil else {
                throw AWSError.invalidParameter("Unable to verify attribute: \(name) no value set to verify")
            }
            var changed = user
            let outcome = VerificationCode.check(
                input.code, for: .attribute(name), in: &changed.codes, now: now, secret: services.store.secret)
            guard outcome == .ok else {
                // A wrong code counts an attempt, written before the error is answered; nothing else changes.
                if changed.codes != user.codes { try tx.saveUser(changed, previous: user, in: access.pool) }
                try outcome.get()
                return
            }
            // A pending new value becomes the current one; its alias may belong to someone else by now
            // (AliasExistsException, and nothing is written: the code stays usable).
            AttributeUpdate.markVerified(name, in: &changed)
            changed.modified = now
            try AttributeUpdate.save(changed, previous: user, in: access.pool, tx)
        }
        return VerifyUserAttributeOutput()
    }
}
