import Foundation

/// Creates a user as an administrator: FORCE_CHANGE_PASSWORD, a temporary password and an invitation (or RESEND).
struct AdminCreateUser: Operation {
    // The invitation carries the temporary password unless MessageAction is SUPPRESS; RESEND re-invites an existing
    // user.
    // - The temporary password is checked against the pool's policy ("Password did not conform with password policy:
    //   ..."), or generated to it (`PasswordPolicy.temporaryPassword`); it works until now + the policy's
    //   TemporaryPasswordValidityDays. It is hashed before the exclusive lock is taken.
    // - RESEND: the user (found by username or alias) must be in FORCE_CHANGE_PASSWORD; they get a new temporary
    //   password (the given one, or a generated one: "to reset the temporary-password duration with a new temporary
    //   password", AWS's API reference), a new expiry and a new invitation. Their attributes are left as they are.
    // - DesiredDeliveryMediums: each medium named must have its attribute ("You must provide a value for email ... if
    //   you set EMAIL in the DesiredDeliveryMediums parameter"), else "No email provided but desired delivery medium
    //   was Email" as AWS answers. Without the member the invitation goes by SMS (AWS's default) when the user has a
    //   phone number, otherwise by email when they have an address, otherwise nowhere.
    // - `email_verified` / `phone_number_verified` may be set here (unlike SignUp); a verified email or phone number
    //   another user holds as an alias is `AliasExistsException` unless ForceAliasCreation moves it.
    // - The invitation is delivered after the write is durable; a failed delivery answers
    //   CodeDeliveryFailureException and leaves the user created (AWS does the same, aws/aws-sdk#438).

    static let name = "AdminCreateUser"
    static let authorization = Authorization.iam

    let services: Services

    init(_ services: Services) { self.services = services }

    func run(_ input: AdminCreateUserInput) throws -> AdminCreateUserOutput {
        let store = services.store
        let now = services.clock.now()
        let pool = try store.withPool(input.userPoolId, .shared) { tx in try tx.pool() }
        let policy = PasswordPolicy(pool.policies?.passwordPolicy)
        let temporaryPassword: String
        if let given = input.temporaryPassword, !given.isEmpty {
            try policy.validate(given, wording: .adminCreateUser)
            temporaryPassword = given
        } else {
            temporaryPassword = policy.temporaryPassword(random: services.random)
        }

        if input.messageAction == .resend {
            return try resend(input, temporaryPassword: temporaryPassword, now: now)
        }

        var user = try UserCreation.newUser(
            username: input.username, attributes: input.userAttributes, pool: pool, client: nil,
            status: .forceChangePassword, now: now, random: services.random)
        let destinations = input.messageAction == .suppress ? [] : try Self.destinations(input.desiredDeliveryMediums, of: user)
        user.passwordHash = try services.passwords.hash(temporaryPassword, random: services.random)
        user.temporaryPasswordExpires = now.addingTimeInterval(Self.validity(policy))
        let saved = user
        let current = try store.withPool(input.userPoolId, .exclusive) { tx in
            let current = try tx.pool()
            try tx.createUser(
                saved, in: current, force: input.forceAliasCreation ?? false,
                existsMessage: "User account already exists", now: now)
            return current
        }
        try invite(saved, at: destinations, temporaryPassword: temporaryPassword, pool: current, now: now)
        return AdminCreateUserOutput(user: saved.userType())
    }

    /// MessageAction RESEND: a new temporary password, expiry and invitation for a user who has not signed in yet.
    private func resend(_ input: AdminCreateUserInput, temporaryPassword: String, now: Date) throws
        -> AdminCreateUserOutput
    {
        let hash = try services.passwords.hash(temporaryPassword, random: services.random)
        let (user, pool, destinations) = try services.store.withPool(input.userPoolId, .exclusive) { tx in
            let pool = try tx.pool()
            guard let previous = try tx.findUser(input.username, in: pool) else {
                throw AWSError(.userNotFound, "User does not exist.")
            }
            guard previous.status == .forceChangePassword else {
                throw AWSError(
                    .unsupportedUserState,
                    "Resend not possible. \(input.username) status is not FORCE_CHANGE_PASSWORD.")
            }
            let destinations = try Self.destinations(input.desiredDeliveryMediums, of: previous)
            var user = previous
            // A new temporary password in place of one that was never used: it replaces it, and the user's earlier
            // passwords (`previousPasswordHashes`, PasswordHistory) stay as they were.
            user.passwordHash = hash
            user.temporaryPasswordExpires = now.addingTimeInterval(
                Self.validity(PasswordPolicy(pool.policies?.passwordPolicy)))
            user.modified = now
            try tx.saveUser(user, previous: previous, in: pool)
            return (user, pool, destinations)
        }
        try invite(user, at: destinations, temporaryPassword: temporaryPassword, pool: pool, now: now)
        return AdminCreateUserOutput(user: user.userType())
    }

    /// Sends the invitation to each destination, after the user's record is durable.
    private func invite(
        _ user: UserRecord, at destinations: [UserCreation.Destination], temporaryPassword: String,
        pool: UserPoolType, now: Date
    ) throws {
        for destination in destinations {
            try services.sender.send(
                MessageTemplates.invitationMessage(
                    pool: pool, medium: destination.medium, destination: destination.address,
                    attributeName: destination.attributeName, username: UserCreation.signInName(of: user, in: pool),
                    temporaryPassword: temporaryPassword, date: now))
        }
    }

    /// Where the invitation goes (see the type's comment), in the order the mediums were named.
    static func destinations(_ requested: [DeliveryMediumType]?, of user: UserRecord) throws(AWSError)
        -> [UserCreation.Destination]
    {
        let email = user.email.flatMap { $0.isEmpty ? nil : $0 }
        let phone = user.phoneNumber.flatMap { $0.isEmpty ? nil : $0 }
        guard let requested, !requested.isEmpty else {
            if let phone { return [UserCreation.Destination(medium: .sms, attributeName: "phone_number", address: phone)] }
            if let email { return [UserCreation.Destination(medium: .email, attributeName: "email", address: email)] }
            return []
        }
        var out: [UserCreation.Destination] = []
        for medium in requested where !out.contains(where: { $0.medium == medium }) {
            switch medium {
            case .email:
                guard let email else {
                    throw .invalidParameter("No email provided but desired delivery medium was Email")
                }
                out.append(UserCreation.Destination(medium: .email, attributeName: "email", address: email))
            case .sms:
                guard let phone else {
                    throw .invalidParameter("No phone_number provided but desired delivery medium was Sms")
                }
                out.append(UserCreation.Destination(medium: .sms, attributeName: "phone_number", address: phone))
            }
        }
        return out
    }

    /// How long a temporary password works, in seconds.
    private static func validity(_ policy: PasswordPolicy) -> TimeInterval {
        TimeInterval(policy.temporaryPasswordValidityDays) * 86_400
    }
}
