/// Deletes attributes from the signed-in user, within what the schema and the client's WriteAttributes allow.
struct DeleteUserAttributes: Operation {
    static let name = "DeleteUserAttributes"
    static let authorization = Authorization.public

    let services: Services

    init(_ services: Services) { self.services = services }

    func run(_ input: DeleteUserAttributesInput) throws -> DeleteUserAttributesOutput {
        let verified = try UpdateUserAttributes.verifyFirst(input.accessToken, services)
        try AttributeUpdate.delete(input.userAttributeNames, poolId: verified.poolId, services: services) { tx, pool in
            try UpdateUserAttributes.writableUser(verified, writing: input.userAttributeNames, tx, pool)
        }
        return DeleteUserAttributesOutput()
    }
}
