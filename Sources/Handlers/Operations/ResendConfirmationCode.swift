/// Sends an unconfirmed user a new sign-up code, which supersedes the pending one.
struct ResendConfirmationCode: Operation {
    // The code is issued and stored under the user's lock (a `.oneUser` change: only their record is written) and
    // delivered after it, once durable. An unknown user is `UserNotFoundException` ("Username/client id combination
    // not found."); under the client's PreventUserExistenceErrors ENABLED it gets the answer a real user would, with
    // a simulated destination (`UserCreation.simulatedDestination`), and nothing is written or sent (the same work
    // is done on decoy files: `UnknownNames`, `Sender.rehearse`).

    static let name = "ResendConfirmationCode"
    static let authorization = Authorization.public

    let services: Services

    init(_ services: Services) { self.services = services }

    /// A pool that sends sign-up codes to nobody (no AutoVerifiedAttributes, or none the user has).
    static let noAutoVerification = AWSError.invalidParameter("Cannot resend codes. Auto verification not turned on.")

    func run(_ input: ResendConfirmationCodeInput) throws -> ResendConfirmationCodeOutput {
        let store = services.store
        let now = services.clock.now()
        let outcome: Outcome = try PublicClient.withClient(input.clientId, in: store, .oneUser) { tx, client in
            try PublicClient.checkSecretHash(input.secretHash, username: input.username, client: client)
            let pool = try tx.pool()
            func unknown() throws -> Outcome {
                guard client.effectivePreventUserExistenceErrors == .enabled else {
                    throw AWSError(.userNotFound, "Username/client id combination not found.")
                }
                guard let simulated = UserCreation.simulatedDestination(
                    for: input.username, in: pool, secret: store.secret)
                else { throw Self.noAutoVerification }
                try services.unknownNames.requestCode(
                    .signUp, for: input.username, in: pool, poolId: tx.poolId, now: now, services: services)
                return .simulated(simulated)
            }
            // Found once to learn whose lock to take, then found and checked again under it.
            guard let found = try tx.findUser(input.username, in: pool) else { return try unknown() }
            return try tx.withUserLock(of: found.username, in: pool) { tx in
                guard let previous = try tx.findUser(input.username, in: pool) else { return try unknown() }
                guard previous.status == .unconfirmed else {
                    throw AWSError.invalidParameter("User is already confirmed.")
                }
                guard let destination = UserCreation.confirmationDestination(of: previous, in: pool) else {
                    throw Self.noAutoVerification
                }
                var user = previous
                let code = try VerificationCode.issue(
                    .signUp, in: &user.codes, now: now, random: services.random, secret: store.secret,
                    request: .limited)
                try tx.saveUser(user, previous: previous, in: pool)
                return .send(UserCreation.confirmationMessage(
                    .resendCode, to: destination, code: code, user: user, pool: pool, now: now))
            }
        }
        switch outcome {
        case .simulated(let details):
            try services.sender.rehearse(details.deliveryMedium ?? .email)
            return ResendConfirmationCodeOutput(codeDeliveryDetails: details)
        case .send(let message):
            try services.sender.send(message)
            return ResendConfirmationCodeOutput(codeDeliveryDetails: message.deliveryDetails)
        }
    }

    private enum Outcome {
        case simulated(CodeDeliveryDetailsType)
        case send(Message)
    }
}
