/// Confirms a signed-up user with their code: CONFIRMED, and the email or phone number the code went to verified.
struct ConfirmSignUp: Operation {
    // Every check and write happens under the user's lock (a `.oneUser` transaction: the pool's LOCK_SH plus the
    // user's stripe), because a wrong code is a write too: the attempt count lives in the user's record, so five
    // wrong codes answered by different workers still use up the code (`VerificationCode`). A confirmation whose
    // verified email or phone number becomes a sign-in alias writes that alias's index entry (and may take it from
    // another user with ForceAliasCreation): that write is more than the user's record, so the store runs the whole
    // body again under the pool's LOCK_EX. Only the attempt count is written on a failed check; nothing is written
    // for a user in the wrong state or an alias refusal, so the same code can be sent again with ForceAliasCreation.
    //
    // An unknown user is `UserNotFoundException` ("Username/client id combination not found.", AWS's wording here).
    // Under the client's PreventUserExistenceErrors ENABLED it is answered as a wrong code
    // (`CodeMismatchException`): AWS documents only that ConfirmSignUp then answers with the code errors, and a
    // mismatch is what a real unconfirmed user with a pending code gets for a guessed code, so the answer tells
    // nothing about existence.

    static let name = "ConfirmSignUp"
    static let authorization = Authorization.public

    let services: Services

    init(_ services: Services) { self.services = services }

    func run(_ input: ConfirmSignUpInput) throws -> ConfirmSignUpOutput {
        let store = services.store
        let now = services.clock.now()
        try PublicClient.withClient(input.clientId, in: store, .oneUser) { tx, client in
            try PublicClient.checkSecretHash(input.secretHash, username: input.username, client: client)
            let pool = try tx.pool()
            let unknown = { () throws -> AWSError in
                if client.effectivePreventUserExistenceErrors == .enabled {
                    let outcome = try services.unknownNames.checkCode(
                        input.confirmationCode, .signUp, for: input.username, in: pool, poolId: tx.poolId, now: now,
                        services: services)
                    return outcome.error ?? AWSError.internalError
                }
                return AWSError(.userNotFound, "Username/client id combination not found.")
            }
            // Found once to learn whose lock to take, then again under it: the record may have changed meanwhile.
            guard let found = try tx.findUser(input.username, in: pool) else { throw try unknown() }
            try tx.withUserLock(of: found.username, in: pool) { tx in
                guard let previous = try tx.findUser(input.username, in: pool) else { throw try unknown() }
                guard previous.status == .unconfirmed else {
                    throw AWSError.notAuthorized("User cannot be confirmed. Current status is \(previous.status.rawValue)")
                }
                var user = previous
                let outcome = VerificationCode.check(
                    input.confirmationCode, for: .signUp, in: &user.codes, now: now, secret: store.secret)
                if let error = outcome.error {
                    if user.codes != previous.codes { try tx.saveUser(user, previous: previous, in: pool) }
                    throw error
                }
                user.status = .confirmed
                if let destination = UserCreation.confirmationDestination(of: user, in: pool) {
                    AttributeUpdate.markVerified(destination.attributeName, in: &user)
                }
                user.modified = now
                try tx.saveClaimingAliases(
                    user, previous: previous, in: pool, force: input.forceAliasCreation ?? false, now: now)
            }
        }
        return ConfirmSignUpOutput()
    }
}
