/// Sends the signed-in user a 24-hour code for VerifyUserAttribute to their email address or phone number.
struct GetUserAttributeVerificationCode: Operation {
    static let name = "GetUserAttributeVerificationCode"
    static let authorization = Authorization.public

    let services: Services

    init(_ services: Services) { self.services = services }

    func run(_ input: GetUserAttributeVerificationCodeInput) throws -> GetUserAttributeVerificationCodeOutput {
        // ClientMetadata only ever reaches Lambda triggers, which this service does not run: accepted, unused.
        let now = services.clock.now()
        let name = input.attributeName
        let verified = try TokenCheck.verify(input.accessToken, services)
        // Only the user's record is written: a change under the user's lock.
        let message = try TokenCheck.changeUser(verified, services) { access, tx -> Message in
            let kind = try Self.verifiable(name)
            // A new value waiting for verification (AttributesRequireVerificationBeforeUpdate) is the one to prove;
            // else the current one. An already verified value may be verified again, as AWS allows.
            guard let destination = Self.valueToVerify(name, of: access.user) else {
                throw AWSError.invalidParameter(
                    name == "email"
                        ? "User does not have a valid registered email"
                        : "User does not have a valid registered phone number")
            }
            var user = access.user
            // Supersedes an earlier code for this attribute; durable before it is delivered.
            let code = try VerificationCode.issue(
                .attribute(name), in: &user.codes, now: now, random: services.random, secret: services.store.secret,
                request: .limited)
            try tx.saveUser(user, previous: access.user, in: access.pool)
            return MessageTemplates.verificationMessage(
                pool: access.pool, kind: .verifyUserAttribute, medium: kind.medium, destination: destination,
                attributeName: name, code: code, username: UserCreation.signInName(of: access.user, in: access.pool),
                date: now)
        }
        let details = try AttributeUpdate.deliver([message], services: services)
        return GetUserAttributeVerificationCodeOutput(codeDeliveryDetails: details.first)
    }
}

// MARK: - What VerifyUserAttribute shares

extension GetUserAttributeVerificationCode {
    /// `email` and `phone_number` are the attributes with codes; any other name is AWS's InvalidParameterException.
    static func verifiable(_ name: String) throws(AWSError) -> AttributeUpdate.Verifiable {
        guard let kind = AttributeUpdate.verifiable[name] else {
            throw .invalidParameter("Invalid attribute name. Only phone_number and email can be verified.")
        }
        return kind
    }

    /// The value a code for `name` proves: the pending new value if there is one, else the current value.
    static func valueToVerify(_ name: String, of user: UserRecord) -> String? {
        let value = user.pendingAttributes[name] ?? user.attributes[name]
        return value?.isEmpty == false ? value : nil
    }
}
