/// Registers a user through an app client: UNCONFIRMED, with a confirmation code where the pool verifies.
struct SignUp: Operation {
    // Order of work (Store.swift's locking protocol): the stateless checks, a shared-lock look for a user of that
    // name (so a duplicate does not cost a password hash), the hash with no lock held, then the exclusive lock, where
    // the name is checked again before the write — of two concurrent sign-ups of one name exactly one wins. The code
    // goes out through the sender once the record is durable; a failed delivery answers CodeDeliveryFailureException
    // and leaves the user in place, to be reached again with ResendConfirmationCode.
    //
    // ClientMetadata, ValidationData, UserContextData and AnalyticsMetadata are accepted and ignored: they feed Lambda
    // triggers and analytics, which this service does not have.

    static let name = "SignUp"
    static let authorization = Authorization.public

    let services: Services

    init(_ services: Services) { self.services = services }

    func run(_ input: SignUpInput) throws -> SignUpOutput {
        let store = services.store
        let now = services.clock.now()
        let (pool, client) = try PublicClient.withClient(input.clientId, in: store, .shared) { tx, client in
            (try tx.pool(), client)
        }
        try PublicClient.checkSecretHash(input.secretHash, username: input.username, client: client)
        if pool.adminCreateUserConfig?.allowAdminCreateUserOnly == true {
            throw AWSError.notAuthorized("SignUp is not permitted for this user pool")
        }
        var user = try UserCreation.newUser(
            username: input.username, attributes: input.userAttributes, pool: pool, client: client,
            status: .unconfirmed, now: now, random: services.random)
        let password = input.password ?? ""
        if password.isEmpty {
            try Self.checkPasswordless(user, pool: pool, client: client)
        } else {
            try PasswordPolicy(pool.policies?.passwordPolicy).validate(password, wording: .signUp)
        }

        let exists = "User already exists"
        try PublicClient.withClient(input.clientId, in: store, .shared) { tx, _ in
            try tx.checkCreatable(user, in: try tx.pool(), force: false, existsMessage: exists)
        }
        if !password.isEmpty {
            user.passwordHash = try services.passwords.hash(password, random: services.random)
        }
        let destination = UserCreation.confirmationDestination(of: user, in: pool)
        var code: String?
        if destination != nil {
            code = try VerificationCode.issue(
                .signUp, in: &user.codes, now: now, random: services.random, secret: store.secret, request: .counted)
        }
        let saved = user
        let current = try PublicClient.withClient(input.clientId, in: store, .exclusive) { tx, _ in
            let current = try tx.pool()
            try tx.createUser(saved, in: current, force: false, existsMessage: exists, now: now)
            return current
        }

        var details: CodeDeliveryDetailsType?
        if let destination, let code {
            let message = UserCreation.confirmationMessage(
                .signUp, to: destination, code: code, user: saved, pool: current, now: now)
            try services.sender.send(message)
            details = message.deliveryDetails
        }
        return SignUpOutput(userConfirmed: false, codeDeliveryDetails: details, userSub: saved.sub)
    }

    /// A sign-up without a password is allowed only as AWS allows it: the pool offers passwordless first factors
    /// (email or SMS one-time passwords), the client allows choice-based sign-in (ALLOW_USER_AUTH), and the user
    /// gave an auto-verified attribute for one of those factors. Otherwise the password is required.
    private static func checkPasswordless(_ user: UserRecord, pool: UserPoolType, client: UserPoolClientType)
        throws(AWSError)
    {
        let factors = Set(pool.policies?.signInPolicy?.allowedFirstAuthFactors ?? [])
        let auto = Set(pool.autoVerifiedAttributes ?? [])
        let byEmail = factors.contains(.emailOtp) && auto.contains(.email) && user.email != nil
        let bySMS = factors.contains(.smsOtp) && auto.contains(.phoneNumber) && user.phoneNumber != nil
        guard client.allowedAuthFlows.contains(.allowUserAuth), byEmail || bySMS else {
            throw .invalidParameter("Password is required.")
        }
    }
}
