import Foundation

/// Sends a one-hour password-reset code to the user's verified email or phone, for ConfirmForgotPassword.
struct ForgotPassword: Operation {
    static let name = "ForgotPassword"
    static let authorization = Authorization.public

    let services: Services

    init(_ services: Services) { self.services = services }

    func run(_ input: ForgotPasswordInput) throws -> ForgotPasswordOutput {
        // Checks in order: the client, its SecretHash, the pool's AccountRecoverySetting, then the user (username,
        // alias or `sub`). Unknown and disabled users get the same answer: AWS answers disabled users as unknown
        // ones so this unauthenticated call does not reveal that an account exists (Cognito team, aws-sdk-ios#384).
        // That answer is `UserNotFoundException` under PreventUserExistenceErrors LEGACY and a simulated success
        // under ENABLED. FORCE_CHANGE_PASSWORD users may not reset (amplify-js#1340, aws-aspnet-cognito-identity-
        // provider#37); under ENABLED silently (amplify-js#6543: "no code, no error"). No verified destination is
        // `InvalidParameterException` in both modes, as AWS's user-existence guide lists it for ENABLED too.
        let now = services.clock.now()
        let store = services.store
        // Only the user's record is written (the code): a `.oneUser` change. The user is found once to learn whose
        // lock to take, then found and checked again under it.
        let outcome = try PublicClient.withClient(input.clientId, in: store, .oneUser) { tx, client -> Outcome in
            try PublicClient.checkSecretHash(input.secretHash, username: input.username, client: client)
            let pool = try tx.pool()
            // admin_only "prevents self-service account recovery"; moto reproduces AWS's answer.
            if pool.accountRecoverySetting?.recoveryMechanisms?.contains(where: { $0.name == .adminOnly }) == true {
                throw AWSError.notAuthorized("Contact administrator to reset password.")
            }
            // Under ENABLED, what a real user would be told, from the name and the pool's verification settings, with
            // nothing written or sent; a pool that verifies nothing gives no real user a code either, so there the
            // answer is the no-destination error ("alternates between a simulated delivery and
            // InvalidParameterException", AWS's guide on user existence errors).
            func simulated() throws -> Outcome {
                guard
                    let details = UserCreation.simulatedDestination(
                        for: input.username, in: pool, secret: store.secret)
                else { throw Self.noDestination }
                try services.unknownNames.requestCode(
                    .forgotPassword, for: input.username, in: pool, poolId: tx.poolId, now: now, services: services)
                return .simulated(details)
            }
            let hideExistence = client.effectivePreventUserExistenceErrors == .enabled
            func unknown() throws -> Outcome {
                if hideExistence { return try simulated() }
                throw AWSError(.userNotFound, "Username/client id combination not found.")
            }
            guard let found = try tx.findUser(input.username, in: pool), found.enabled else { return try unknown() }
            return try tx.withUserLock(of: found.username, in: pool) { tx in
                guard let user = try tx.findUser(input.username, in: pool), user.enabled else { return try unknown() }
                if user.status == .forceChangePassword {
                    if hideExistence { return try simulated() }
                    throw AWSError.notAuthorized("User password cannot be reset in the current state.")
                }
                guard let destination = user.recoveryDestination(in: pool) else { throw Self.noDestination }
                // The new code supersedes any earlier one; it is durable before it is delivered.
                var changed = user
                let code = try VerificationCode.issue(
                    .forgotPassword, in: &changed.codes, now: now, random: services.random, secret: store.secret,
                    request: .limited)
                try tx.saveUser(changed, previous: user, in: pool)
                return .send(
                    MessageTemplates.verificationMessage(
                        pool: pool, kind: .forgotPassword, medium: destination.medium, destination: destination.value,
                        attributeName: destination.attribute, code: code,
                        username: UserCreation.signInName(of: user, in: pool), date: now))
            }
        }
        switch outcome {
        case .send(let message):
            try services.sender.send(message)
            return ForgotPasswordOutput(codeDeliveryDetails: message.deliveryDetails)
        case .simulated(let details):
            try services.sender.rehearse(details.deliveryMedium ?? .email)
            return ForgotPasswordOutput(codeDeliveryDetails: details)
        }
    }

    static let noDestination = AWSError.invalidParameter(
        "Cannot reset password for the user as there is no registered/verified email or phone_number")

    private enum Outcome {
        case send(Message)
        /// PreventUserExistenceErrors ENABLED and nothing to send: answer as if a code went out.
        case simulated(CodeDeliveryDetailsType)
    }
}
