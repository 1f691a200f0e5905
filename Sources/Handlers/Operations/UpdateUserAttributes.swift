/// Changes the signed-in user's own attributes; a new email or phone number is unverified and gets a code.
struct UpdateUserAttributes: Operation {
    static let name = "UpdateUserAttributes"
    static let authorization = Authorization.public

    let services: Services

    init(_ services: Services) { self.services = services }

    func run(_ input: UpdateUserAttributesInput) throws -> UpdateUserAttributesOutput {
        // ClientMetadata only ever reaches Lambda triggers, which this service does not run: accepted, unused.
        let verified = try Self.verifyFirst(input.accessToken, services)
        let names = input.userAttributes.map(\.name)
        let sent = try AttributeUpdate.update(input.userAttributes, poolId: verified.poolId, services: services) {
            tx, pool in
            try Self.writableUser(verified, writing: names, tx, pool)
        }
        // Nothing sent (no verifiable attribute changed, or none auto-verified): the list is left out.
        return UpdateUserAttributesOutput(codeDeliveryDetailsList: sent.isEmpty ? nil : sent)
    }
}

// MARK: - What DeleteUserAttributes shares

extension UpdateUserAttributes {
    /// The whole access-token check, before anything else is looked at: AWS refuses a bad token whatever the
    /// attributes say, while `AttributeUpdate` checks the attributes against the schema before it asks for the
    /// user. The store half runs again under the exclusive lock the change is made in (`writableUser`).
    static func verifyFirst(_ token: String, _ services: Services) throws -> VerifiedToken {
        let verified = try TokenCheck.verify(token, services)
        _ = try TokenCheck.withPool(verified.poolId, services, .shared) { tx in try verified.confirm(in: tx) }
        return verified
    }

    /// `AttributeUpdate`'s `find` for a signed-in user: the token confirmed in this transaction, and every attribute
    /// named (set, blanked or deleted) one the token's client may write (its WriteAttributes; `sub` and the
    /// `*_verified` flags never): otherwise `NotAuthorizedException` as AWS words it.
    static func writableUser(
        _ verified: VerifiedToken, writing names: [String], _ tx: PoolTransaction, _ pool: UserPoolType
    ) throws -> UserRecord {
        let access = try verified.confirm(in: tx)
        for name in names where !access.client.mayWrite(name, pool: pool) {
            throw UserCreation.unauthorizedAttribute
        }
        return access.user
    }
}
