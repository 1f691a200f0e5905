import Crypto
import Foundation

/// What SignUp and AdminCreateUser share when they make a user, and what the sign-up confirmation operations share
/// with them: turning the given `Username` into the stored username under the pool's sign-in settings, checking the
/// attributes, choosing where a confirmation code goes, and writing a new user whose sign-in aliases may collide
/// with other users'.
///
/// ## Usernames
/// - A pool with `UsernameAttributes` (email and/or phone number as username) takes an email address or phone
///   number as `Username`; anything else is `InvalidParameterException` ("Username should be an email." and the
///   like). The value becomes the user's `email`/`phone_number` attribute, and the stored username is a generated
///   UUID equal to the user's `sub`, as AWS does it (AdminGetUser shows that UUID as `Username`).
/// - A pool with `AliasAttributes` email or phone number refuses a `Username` in that format: it would collide with
///   the alias namespace ("Username cannot be of email format, since user pool is configured for email alias.").
/// - Otherwise the username is stored as given (case preserved; `UserKey` folds it for lookups).
///
/// ## Where a sign-up code goes
/// The pool's `AutoVerifiedAttributes` decide: the phone number by SMS when it is auto-verified and the user has one,
/// else the email address when it is auto-verified and the user has one, else nowhere (no code; the user waits for
/// AdminConfirmSignUp). AWS: "In cases where Amazon Cognito must choose between verifying an email address or phone
/// number, it chooses to verify the phone number" (developer guide, "Signing up and confirming user accounts"). The
/// same rule names the attribute ConfirmSignUp marks verified, so the code's medium need not be stored.
///
/// ## Alias collisions
/// A value another user already holds as a sign-in identifier (`UserKey.aliases`) cannot simply be taken:
/// - an email or phone number that is a *username attribute* of the pool is that other user's name:
///   `UsernameExistsException` "An account with the given email already exists." (AWS's wording);
/// - a verified email or phone number alias is `AliasExistsException` with the same wording, unless the caller
///   passed `ForceAliasCreation`, in which case the alias moves and the previous holder's value becomes unverified
///   ("The previous user will no longer be able to log in using that alias");
/// - a `preferred_username` alias is never moved.
enum UserCreation {
    /// Where a code or invitation for a user goes.
    struct Destination: Equatable {
        var medium: DeliveryMediumType
        /// `email` or `phone_number`.
        var attributeName: String
        /// The unmasked address or number.
        var address: String
    }

    /// AWS's wording when a client writes an attribute it may not (SignUp with an attribute outside the client's
    /// WriteAttributes, or `email_verified`).
    static let unauthorizedAttribute = AWSError.notAuthorized("A client attempted to write unauthorized attribute")

    // MARK: Building the record

    /// A new user's record from a `Username` and `UserAttributes` as a request gives them, checked against `pool`:
    /// the schema (`UserAttributes.validate`), `client`'s WriteAttributes when a client is creating the user
    /// (SignUp; nil for the IAM AdminCreateUser), the username rules above, and the schema's required attributes.
    /// No password and no codes yet.
    static func newUser(
        username given: String, attributes: [AttributeType]?, pool: UserPoolType, client: UserPoolClientType?,
        status: UserStatusType, now: Date, random: any RandomSource
    ) throws(AWSError) -> UserRecord {
        var values = try UserAttributes.validate(attributes ?? [], in: pool, mode: .create)
        if let client {
            for name in values.keys where !client.mayWrite(name, pool: pool) { throw unauthorizedAttribute }
        }
        let sub = random.uuid()
        let username: String
        if let attribute = try usernameAttribute(of: given, in: pool) {
            // The Username is the attribute's value; it wins over a different value given in UserAttributes.
            values[attribute] = given
            username = sub
        } else {
            try checkNotAliasFormat(given, in: pool)
            username = given
        }
        try UserAttributes.checkRequired(values, in: pool)
        return UserRecord(username: username, sub: sub, attributes: values, status: status, now: now)
    }

    /// In a pool with UsernameAttributes: which of them `given` is (`email` or `phone_number`), or
    /// `InvalidParameterException`. In any other pool: nil.
    static func usernameAttribute(of given: String, in pool: UserPoolType) throws(AWSError) -> String? {
        let allowed = Set(pool.usernameAttributes ?? [])
        guard !allowed.isEmpty else { return nil }
        if allowed.contains(.email), UserAttributes.isValidEmail(given) { return "email" }
        if allowed.contains(.phoneNumber), UserAttributes.isValidPhoneNumber(given) { return "phone_number" }
        switch (allowed.contains(.email), allowed.contains(.phoneNumber)) {
        case (true, false): throw .invalidParameter("Username should be an email.")
        case (false, true): throw .invalidParameter("Username should be a phone number.")
        default: throw .invalidParameter("Username should be either an email or a phone number.")
        }
    }

    /// A pool that signs in by email or phone alias refuses usernames in that format.
    private static func checkNotAliasFormat(_ given: String, in pool: UserPoolType) throws(AWSError) {
        let aliases = Set(pool.aliasAttributes ?? [])
        if aliases.contains(.email), UserAttributes.isValidEmail(given) {
            throw .invalidParameter("Username cannot be of email format, since user pool is configured for email alias.")
        }
        if aliases.contains(.phoneNumber), UserAttributes.isValidPhoneNumber(given) {
            throw .invalidParameter(
                "Username cannot be of phone number format, since user pool is configured for phone_number alias.")
        }
    }

    // MARK: Codes and messages

    /// Where a sign-up confirmation code for `user` goes (see "Where a sign-up code goes"), or nil.
    static func confirmationDestination(of user: UserRecord, in pool: UserPoolType) -> Destination? {
        let auto = Set(pool.autoVerifiedAttributes ?? [])
        if auto.contains(.phoneNumber), let phone = user.phoneNumber, !phone.isEmpty {
            return Destination(medium: .sms, attributeName: "phone_number", address: phone)
        }
        if auto.contains(.email), let email = user.email, !email.isEmpty {
            return Destination(medium: .email, attributeName: "email", address: email)
        }
        return nil
    }

    /// The name a user signs in with, as messages show it (`{username}`): in a pool with UsernameAttributes the
    /// email address or phone number (the stored username there is a UUID nobody types), else the username.
    static func signInName(of user: UserRecord, in pool: UserPoolType) -> String {
        for attribute in (pool.usernameAttributes ?? []).map(\.rawValue) {
            if let value = user.attributes[attribute], !value.isEmpty { return value }
        }
        return user.username
    }

    /// A sign-up code message for `user`, from the pool's verification template.
    static func confirmationMessage(
        _ kind: Message.Kind, to destination: Destination, code: String, user: UserRecord, pool: UserPoolType,
        now: Date
    ) -> Message {
        MessageTemplates.verificationMessage(
            pool: pool, kind: kind, medium: destination.medium, destination: destination.address,
            attributeName: destination.attributeName, code: code, username: signInName(of: user, in: pool), date: now)
    }

    /// What a public confirmation operation answers for a user who does not exist when the client prevents user
    /// existence errors: a plausible destination, "determined by the input user name format and verification
    /// settings of the user pool" (AWS, "Managing error responses"). It is derived from the name with the store's
    /// secret, so asking twice gives the same answer and nothing tells it from a real user's. Nil when the pool
    /// verifies nothing (a real user there gets no code either).
    static func simulatedDestination(for name: String, in pool: UserPoolType, secret: [UInt8]) -> CodeDeliveryDetailsType? {
        let auto = Set(pool.autoVerifiedAttributes ?? [])
        guard !auto.isEmpty else { return nil }
        if UserAttributes.isValidEmail(name) {
            return CodeDeliveryDetailsType(maskedDestination: name, medium: .email, attributeName: "email")
        }
        if UserAttributes.isValidPhoneNumber(name) {
            return CodeDeliveryDetailsType(maskedDestination: name, medium: .sms, attributeName: "phone_number")
        }
        var mac = HMAC<SHA256>(key: SymmetricKey(data: secret))
        mac.update(data: Array("simulated-destination:\(pool.id ?? "")\u{0}\(name)".utf8))
        let bytes = Array(mac.finalize())
        if auto.contains(.phoneNumber) {
            let digits = bytes.prefix(10).map { String($0 % 10) }.joined()
            return CodeDeliveryDetailsType(maskedDestination: "+1" + digits, medium: .sms, attributeName: "phone_number")
        }
        let letters = Array("abcdefghijklmnopqrstuvwxyz")
        let address = "\(letters[Int(bytes[0]) % 26])@\(letters[Int(bytes[1]) % 26]).com"
        return CodeDeliveryDetailsType(maskedDestination: address, medium: .email, attributeName: "email")
    }

    // MARK: Collisions

    /// AWS's wording for a sign-in value another user holds.
    static func takenMessage(_ attribute: String) -> String {
        "An account with the given \(attribute) already exists."
    }
}

extension PoolTransaction {
    /// Writes a user who does not exist yet. `UsernameExistsException` with `existsMessage` when the username is
    /// taken (checked here, under the caller's exclusive lock, so two concurrent creations of one name cannot both
    /// succeed); alias values as `saveClaimingAliases` handles them.
    func createUser(_ user: UserRecord, in pool: UserPoolType, force: Bool, existsMessage: String, now: Date) throws {
        try checkCreatable(user, in: pool, force: force, existsMessage: existsMessage)
        try saveClaimingAliases(user, previous: nil, in: pool, force: force, now: now)
    }

    /// The checks `createUser` makes, without writing: SignUp runs them under a shared lock before it spends a
    /// password hash on a request that would fail anyway.
    func checkCreatable(_ user: UserRecord, in pool: UserPoolType, force: Bool, existsMessage: String) throws {
        if try self.user(named: user.username, in: pool) != nil {
            throw AWSError(.usernameExists, existsMessage)
        }
        _ = try aliasTakeovers(for: user, in: pool, force: force)
    }

    /// Saves `user` (whose previous state is `previous`) together with the alias values it now holds. Values held by
    /// another user are refused or, with `force`, taken over (see `UserCreation`, "Alias collisions"); the previous
    /// holder's `<attribute>_verified` becomes "false", so their record no longer claims the alias.
    func saveClaimingAliases(
        _ user: UserRecord, previous: UserRecord?, in pool: UserPoolType, force: Bool, now: Date
    ) throws {
        let takeovers = try aliasTakeovers(for: user, in: pool, force: force)
        try saveUser(user, previous: previous, in: pool)
        for (attribute, holder) in takeovers {
            // Re-read: one holder may lose several values.
            guard let current = try self.user(named: holder.username, in: pool) else { continue }
            var updated = current
            updated.attributes[attribute + "_verified"] = "false"
            updated.modified = now
            try saveUser(updated, previous: current, in: pool)
        }
    }

    /// The alias values `user` would take from other users, with their holders; throws when one may not be taken.
    private func aliasTakeovers(for user: UserRecord, in pool: UserPoolType, force: Bool) throws
        -> [(attribute: String, holder: UserRecord)]
    {
        let usernameAttributes = Set((pool.usernameAttributes ?? []).map(\.rawValue))
        var takeovers: [(attribute: String, holder: UserRecord)] = []
        for attribute in try aliasConflicts(for: user, in: pool) {
            if usernameAttributes.contains(attribute) || attribute == "sub" {
                throw AWSError(.usernameExists, UserCreation.takenMessage(attribute))
            }
            guard force, attribute == "email" || attribute == "phone_number",
                let value = user.attributes[attribute], let holder = try aliasOwner(attribute, value, in: pool)
            else {
                throw AWSError(.aliasExists, UserCreation.takenMessage(attribute))
            }
            takeovers.append((attribute, holder))
        }
        return takeovers
    }
}
